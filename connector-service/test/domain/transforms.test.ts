import { describe, expect, it } from 'vitest';
import {
    ConnectorError,
    formatDecimal,
    localDate,
    numberToDecimalText,
    SALESFORCE_OBJECTS,
    toCanonical,
    toSalesforce,
    zonedMidnight,
    checkClmValue,
    type SalesforceField,
    type Transform,
    type TransformTarget
} from '../../src/domain/index.ts';

const contract = SALESFORCE_OBJECTS.Contract as Record<string, SalesforceField>;
const account = SALESFORCE_OBJECTS.Account as Record<string, SalesforceField>;

function target(
    sfField: string,
    clmField: string,
    clmKind: TransformTarget['clmKind'],
    sf: SalesforceField = contract[sfField]!
): TransformTarget {
    return { rule: 'Test_Rule', sfObject: 'Contract', sfField, sf, clmField, clmKind };
}

function errorOf(run: () => unknown): ConnectorError {
    try {
        run();
    } catch (error) {
        if (error instanceof ConnectorError) return error;
        throw new Error(`expected a ConnectorError, got ${String(error)}`, { cause: error });
    }
    throw new Error('expected an error');
}

const datetimeField: SalesforceField = {
    type: 'datetime',
    label: 'At',
    createable: true,
    updateable: true,
    nillable: true
};

describe('date transforms', () => {
    const date: Transform = { kind: 'date', timeZone: 'America/Los_Angeles' };

    it('takes the local calendar date of an instant, across midnight UTC', () => {
        // 02:30 UTC on the 1st is still the 31st in Los Angeles.
        const t = target('CLM_Expiration_Date__c', 'expirationDate', 'date', datetimeField);
        expect(toCanonical(date, t, { CLM_Expiration_Date__c: '2026-01-01T02:30:00.000+0000' }, {})).toBe('2025-12-31');
        expect(
            toCanonical(
                { kind: 'date', timeZone: 'Asia/Tokyo' },
                t,
                { CLM_Expiration_Date__c: '2026-01-01T15:30:00Z' },
                {}
            )
        ).toBe('2026-01-02');
    });

    it('writes a CLM date into a date-time field as local midnight, also on DST change days', () => {
        const t = target('CLM_Expiration_Date__c', 'expirationDate', 'date', datetimeField);
        expect(toSalesforce(date, t, '2026-03-08', {})).toEqual({ CLM_Expiration_Date__c: '2026-03-08T08:00:00.000Z' });
        expect(toSalesforce(date, t, '2026-03-09', {})).toEqual({ CLM_Expiration_Date__c: '2026-03-09T07:00:00.000Z' });
        expect(zonedMidnight('2026-10-25', 'Europe/Berlin')).toBe('2026-10-24T22:00:00.000Z');
        expect(localDate(zonedMidnight('2026-10-25', 'Europe/Berlin'), 'Europe/Berlin')).toBe('2026-10-25');
    });

    it('passes dates through unchanged and rejects impossible ones', () => {
        const t = target('StartDate', 'effectiveDate', 'date');
        expect(toSalesforce({ kind: 'date' }, t, '2024-02-29', {})).toEqual({ StartDate: '2024-02-29' });
        expect(errorOf(() => toSalesforce({ kind: 'date' }, t, '2025-02-29', {})).code).toBe('TRANSFORM.INVALID_DATE');
        expect(errorOf(() => toCanonical({ kind: 'date' }, t, { StartDate: '29/02/2024' }, {})).details).toMatchObject({
            field: 'Contract.StartDate',
            value: '"29/02/2024"'
        });
    });

    it('needs an explicit time zone to cross between dates and instants', () => {
        const t = target('CLM_Expiration_Date__c', 'expirationDate', 'date', datetimeField);
        expect(errorOf(() => toSalesforce({ kind: 'date' }, t, '2026-01-01', {})).code).toBe(
            'TRANSFORM.TIME_ZONE_REQUIRED'
        );
    });

    it('normalises instants with offsets to UTC milliseconds', () => {
        const t = target('X', 'custom.at', 'datetime', datetimeField);
        expect(toCanonical({ kind: 'date' }, t, { X: '2026-05-01T10:00:00+02:00' }, {})).toBe(
            '2026-05-01T08:00:00.000Z'
        );
        expect(errorOf(() => toCanonical({ kind: 'date' }, t, { X: '2026-05-01T10:00:00' }, {})).code).toBe(
            'TRANSFORM.INVALID_DATE'
        );
    });
});

describe('money', () => {
    const value = target('CLM_Contract_Value__c', 'value', 'money');
    const withCurrency: Transform = { kind: 'money', currencyField: 'CLM_Currency__c' };

    it('writes the amount at the field scale, with its currency, without floating point drift', () => {
        expect(toSalesforce(withCurrency, value, { amount: '1234.5', currency: 'EUR' }, {})).toEqual({
            CLM_Contract_Value__c: 1234.5,
            CLM_Currency__c: 'EUR'
        });
        expect(toSalesforce(withCurrency, value, { amount: '0.125', currency: 'USD' }, {})).toEqual({
            CLM_Contract_Value__c: 0.12,
            CLM_Currency__c: 'USD'
        });
        expect(toSalesforce(withCurrency, value, { amount: '0.135', currency: 'USD' }, {}).CLM_Contract_Value__c).toBe(
            0.14
        );
        expect(formatDecimal('1.005', 2, 'x')).toBe('1.00');
        expect(formatDecimal('-2.5', 0, 'x')).toBe('-2');
        expect(formatDecimal('-0.001', 2, 'x')).toBe('0.00');
    });

    it('reads the amount as exact decimal text with the currency from its field', () => {
        expect(toCanonical(withCurrency, value, { CLM_Contract_Value__c: 0.1, CLM_Currency__c: 'JPY' }, {})).toEqual({
            amount: '0.1',
            currency: 'JPY'
        });
        expect(numberToDecimalText(1e21, 'x')).toBe('1000000000000000000000');
        expect(numberToDecimalText(1.5e-7, 'x')).toBe('0.00000015');
    });

    it('never guesses a currency', () => {
        expect(errorOf(() => toCanonical({ kind: 'money' }, value, { CLM_Contract_Value__c: 10 }, {})).code).toBe(
            'TRANSFORM.CURRENCY_UNKNOWN'
        );
        expect(
            errorOf(() => toCanonical(withCurrency, value, { CLM_Contract_Value__c: 10, CLM_Currency__c: null }, {}))
                .code
        ).toBe('TRANSFORM.CURRENCY_UNKNOWN');
        expect(toCanonical({ kind: 'money' }, value, { CLM_Contract_Value__c: 10 }, { orgCurrency: 'GBP' })).toEqual({
            amount: '10',
            currency: 'GBP'
        });
    });

    it('refuses a CLM amount in another currency than a single-currency org, instead of converting', () => {
        const error = errorOf(() =>
            toSalesforce({ kind: 'money' }, value, { amount: '10', currency: 'EUR' }, { orgCurrency: 'USD' })
        );
        expect(error.code).toBe('TRANSFORM.CURRENCY_MISMATCH');
        expect(error.details.rule).toBe('Test_Rule');
    });

    it('refuses amounts larger than the field and amounts a JSON number cannot carry', () => {
        expect(
            errorOf(() => toSalesforce(withCurrency, value, { amount: '100000000000000', currency: 'USD' }, {})).code
        ).toBe('TRANSFORM.NUMBER_TOO_LARGE');
        const wide: SalesforceField = { ...contract.CLM_Contract_Value__c!, precision: 18, scale: 2 };
        const t = target('CLM_Contract_Value__c', 'value', 'money', wide);
        expect(
            errorOf(() => toSalesforce(withCurrency, t, { amount: '1234567890123456.78', currency: 'USD' }, {})).code
        ).toBe('TRANSFORM.PRECISION_LOSS');
        expect(errorOf(() => checkClmValue('money', 'value', { amount: 12.5, currency: 'USD' })).code).toBe(
            'TRANSFORM.INVALID_CLM_VALUE'
        );
    });
});

describe('addresses', () => {
    const billing = {
        ...target('BillingAddress', 'counterparty.address', 'address', account.BillingAddress!),
        sfObject: 'Account'
    };

    it('flattens a compound address into its component fields and back', () => {
        const address = {
            street: '1 Market St',
            city: 'San Francisco',
            state: 'CA',
            postalCode: '94105',
            country: 'US'
        };
        const fields = toSalesforce({ kind: 'address' }, billing, address, {});
        expect(fields).toEqual({
            BillingStreet: '1 Market St',
            BillingCity: 'San Francisco',
            BillingState: 'CA',
            BillingPostalCode: '94105',
            BillingCountry: 'US'
        });
        expect(toCanonical({ kind: 'address' }, billing, fields, {})).toEqual(address);
    });

    it('keeps empty parts as null and an empty address as null', () => {
        expect(
            toCanonical(
                { kind: 'address' },
                billing,
                {
                    BillingStreet: ' ',
                    BillingCity: 'Oslo',
                    BillingState: null,
                    BillingPostalCode: '',
                    BillingCountry: 'NO'
                },
                {}
            )
        ).toEqual({ street: null, city: 'Oslo', state: null, postalCode: null, country: 'NO' });
        expect(toCanonical({ kind: 'address' }, billing, { BillingStreet: null, BillingCity: '' }, {})).toBeNull();
        expect(toSalesforce({ kind: 'address' }, billing, null, {})).toEqual({
            BillingStreet: null,
            BillingCity: null,
            BillingState: null,
            BillingPostalCode: null,
            BillingCountry: null
        });
    });
});

describe('picklists', () => {
    const multi: SalesforceField = {
        type: 'multipicklist',
        label: 'Products',
        createable: true,
        updateable: true,
        nillable: true,
        picklist: { values: ['Support', 'Training', 'Licenses'], restricted: true }
    };
    const products = target('Products__c', 'products', 'stringList', multi);

    it('splits and joins semicolon lists, dropping blanks and repeats', () => {
        expect(
            toCanonical({ kind: 'multiPicklist' }, products, { Products__c: 'Support; Training;;Support' }, {})
        ).toEqual(['Support', 'Training']);
        expect(toSalesforce({ kind: 'multiPicklist' }, products, ['Licenses', 'Support'], {})).toEqual({
            Products__c: 'Licenses;Support'
        });
        expect(toSalesforce({ kind: 'multiPicklist' }, products, [], {})).toEqual({ Products__c: null });
    });

    it('rejects values a restricted picklist does not have, naming the value', () => {
        const error = errorOf(() => toSalesforce({ kind: 'multiPicklist' }, products, ['Consulting'], {}));
        expect(error.code).toBe('TRANSFORM.PICKLIST_VALUE_REJECTED');
        expect(error.message).toContain('"Consulting"');
    });

    it('maps picklist values one to one and reports an unknown value clearly', () => {
        const stage = {
            ...target('StageName', 'dealStage', 'string', SALESFORCE_OBJECTS.Opportunity.StageName as SalesforceField),
            sfObject: 'Opportunity'
        };
        const map: Transform = { kind: 'picklistMap', map: { 'Closed Won': 'won', 'Closed Lost': 'lost' } };
        expect(toCanonical(map, stage, { StageName: 'Closed Won' }, {})).toBe('won');
        expect(toSalesforce(map, stage, 'lost', {})).toEqual({ StageName: 'Closed Lost' });
        const unknown = errorOf(() => toCanonical(map, stage, { StageName: 'Prospecting' }, {}));
        expect(unknown.code).toBe('TRANSFORM.UNKNOWN_PICKLIST_VALUE');
        expect(unknown.details).toMatchObject({ field: 'Opportunity.StageName', value: '"Prospecting"' });
    });

    it('maps the canonical lifecycle to the package picklist and refuses anything else', () => {
        const lifecycle = target('CLM_Lifecycle__c', 'status.lifecycle', 'lifecycle');
        expect(toSalesforce({ kind: 'statusMap' }, lifecycle, 'OutForSignature', {})).toEqual({
            CLM_Lifecycle__c: 'OutForSignature'
        });
        expect(errorOf(() => toSalesforce({ kind: 'statusMap' }, lifecycle, 'Archived', {})).code).toBe(
            'TRANSFORM.UNKNOWN_PICKLIST_VALUE'
        );
        const status = target('Status', 'status.lifecycle', 'lifecycle');
        const map: Transform = {
            kind: 'statusMap',
            map: { Draft: 'Draft', PendingApproval: 'In Approval Process', Active: 'Activated' }
        };
        expect(toSalesforce(map, status, 'PendingApproval', {})).toEqual({ Status: 'In Approval Process' });
        expect(toCanonical(map, status, { Status: 'Activated' }, {})).toBe('Active');
        expect(errorOf(() => toSalesforce(map, status, 'Signed', {})).code).toBe('TRANSFORM.PICKLIST_VALUE_REJECTED');
    });
});

describe('text', () => {
    it('refuses text longer than the target field instead of truncating it', () => {
        const t = target('CLM_Currency__c', 'custom.code', 'string');
        const error = errorOf(() => toSalesforce({ kind: 'copy' }, t, 'EURO', {}));
        expect(error.code).toBe('TRANSFORM.VALUE_TOO_LONG');
        expect(error.details.field).toBe('Contract.CLM_Currency__c');
    });
});
