// Standard objects in scope, written from the Salesforce Object Reference and real describe results
// (field names, types, lengths, picklist values, required flags). The emulator never reads reference data
// at run time; these definitions are the facts.
import { defineField, picklistValues, type FieldDef, type FieldType, type ObjectDef } from './types.ts';

const GEOCODE_ACCURACY = [
    'Address',
    'NearAddress',
    'Block',
    'Street',
    'ExtendedZip',
    'Zip',
    'Neighborhood',
    'City',
    'County',
    'State',
    'Unknown'
];
const LEAD_SOURCE = ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other'];

export const OPPORTUNITY_STAGES: readonly {
    value: string;
    probability: number;
    forecast: string;
    closed: boolean;
    won: boolean;
}[] = [
    { value: 'Prospecting', probability: 10, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Qualification', probability: 10, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Needs Analysis', probability: 20, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Value Proposition', probability: 50, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Id. Decision Makers', probability: 60, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Perception Analysis', probability: 70, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Proposal/Price Quote', probability: 75, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Negotiation/Review', probability: 90, forecast: 'Pipeline', closed: false, won: false },
    { value: 'Closed Won', probability: 100, forecast: 'Closed', closed: true, won: true },
    { value: 'Closed Lost', probability: 0, forecast: 'Omitted', closed: true, won: false }
];

/** Contract Status values and the StatusCode category each maps to. */
export const CONTRACT_STATUSES: Readonly<Record<string, string>> = {
    Draft: 'Draft',
    'In Approval Process': 'InApproval',
    Activated: 'Activated'
};

const readOnly = { createable: false, updateable: false } as const;
const required = { nillable: false } as const;
/** System and audit fields are always visible: FLS does not apply to them. */
const system = { ...readOnly, permissionable: false } as const;

function f(name: string, type: FieldType, overrides: Partial<FieldDef> = {}): FieldDef {
    return defineField(name, type, overrides);
}

function ref(
    name: string,
    target: string | string[],
    relationshipName: string,
    childRelationshipName: string | null,
    overrides: Partial<FieldDef> = {}
): FieldDef {
    return defineField(name, 'reference', {
        referenceTo: Array.isArray(target) ? target : [target],
        relationshipName,
        childRelationshipName,
        ...overrides
    });
}

function picklist(name: string, values: readonly string[], overrides: Partial<FieldDef> = {}): FieldDef {
    return defineField(name, 'picklist', { picklistValues: picklistValues(values), ...overrides });
}

/** A compound address (Billing, Shipping, Mailing, …): its components and the read-only compound field. */
function address(prefix: string, label: string): FieldDef[] {
    const compound = `${prefix}Address`;
    const part = { compoundFieldName: compound };
    const lab = (what: string) => `${label} ${what}`.trim();
    return [
        f(`${prefix}Street`, 'textarea', { ...part, label: lab('Street'), length: 255 }),
        f(`${prefix}City`, 'string', { ...part, label: lab('City'), length: 40 }),
        f(`${prefix}State`, 'string', { ...part, label: lab('State/Province'), length: 80 }),
        f(`${prefix}PostalCode`, 'string', { ...part, label: lab('Zip/Postal Code'), length: 20 }),
        f(`${prefix}Country`, 'string', { ...part, label: lab('Country'), length: 80 }),
        f(`${prefix}Latitude`, 'double', { ...part, label: lab('Latitude'), precision: 18, scale: 15 }),
        f(`${prefix}Longitude`, 'double', { ...part, label: lab('Longitude'), precision: 18, scale: 15 }),
        picklist(`${prefix}GeocodeAccuracy`, GEOCODE_ACCURACY, {
            ...part,
            label: lab('Geocode Accuracy'),
            length: 40,
            restrictedPicklist: true
        }),
        f(compound, 'address', { ...readOnly, label: lab('Address') })
    ];
}

/** Id, IsDeleted and the audit fields every object has. */
export function systemFields(options: { owner: boolean; audit?: boolean } = { owner: true }): {
    head: FieldDef[];
    tail: FieldDef[];
} {
    const head = [
        f('Id', 'id', { ...system, nillable: false, idLookup: true, label: 'Record ID', defaultedOnCreate: true }),
        f('IsDeleted', 'boolean', { ...system, label: 'Deleted' })
    ];
    const tail: FieldDef[] = [];
    if (options.owner) {
        tail.push(
            ref('OwnerId', 'User', 'Owner', null, {
                nillable: false,
                defaultedOnCreate: true,
                label: 'Owner ID',
                permissionable: false
            })
        );
    }
    if (options.audit !== false) {
        tail.push(
            f('CreatedDate', 'datetime', {
                ...system,
                nillable: false,
                defaultedOnCreate: true,
                label: 'Created Date'
            }),
            ref('CreatedById', 'User', 'CreatedBy', null, { ...system, nillable: false, defaultedOnCreate: true }),
            f('LastModifiedDate', 'datetime', { ...system, nillable: false, defaultedOnCreate: true }),
            ref('LastModifiedById', 'User', 'LastModifiedBy', null, {
                ...system,
                nillable: false,
                defaultedOnCreate: true
            }),
            f('SystemModstamp', 'datetime', {
                ...system,
                nillable: false,
                defaultedOnCreate: true,
                label: 'System Modstamp'
            })
        );
    }
    return { head, tail };
}

interface ObjectSpec {
    name: string;
    label: string;
    labelPlural: string;
    keyPrefix: string;
    fields: FieldDef[];
    owner?: boolean;
    audit?: boolean;
    kind?: ObjectDef['kind'];
    createable?: boolean;
    updateable?: boolean;
    deletable?: boolean;
}

export function buildObject(spec: ObjectSpec): ObjectDef {
    const sys = systemFields({ owner: spec.owner ?? true, audit: spec.audit ?? true });
    return {
        name: spec.name,
        label: spec.label,
        labelPlural: spec.labelPlural,
        keyPrefix: spec.keyPrefix,
        custom: spec.name.endsWith('__c'),
        kind: spec.kind ?? 'standard',
        createable: spec.createable ?? true,
        updateable: spec.updateable ?? true,
        deletable: spec.deletable ?? true,
        queryable: true,
        fields: [...sys.head, ...spec.fields, ...sys.tail]
    };
}

/**
 * The currencies the emulated org has enabled (multi-currency on; CurrencyType rows seed the same list, USD the
 * corporate currency). Every record of a currency-enabled object carries its own CurrencyIsoCode.
 */
export const ORG_CURRENCIES = [
    { isoCode: 'USD', conversionRate: 1, corporate: true },
    { isoCode: 'EUR', conversionRate: 0.92, corporate: false },
    { isoCode: 'GBP', conversionRate: 0.79, corporate: false },
    { isoCode: 'JPY', conversionRate: 151.2, corporate: false }
] as const;
const CORPORATE_CURRENCY = ORG_CURRENCIES.find((currency) => currency.corporate)!.isoCode;

const currencyField = () =>
    f('CurrencyIsoCode', 'picklist', {
        length: 3,
        label: 'Currency ISO Code',
        restrictedPicklist: true,
        defaultedOnCreate: true,
        permissionable: false,
        picklistValues: picklistValues(
            ORG_CURRENCIES.map((currency) => currency.isoCode),
            CORPORATE_CURRENCY
        )
    });

const nameField = (length: number, overrides: Partial<FieldDef> = {}) =>
    f('Name', 'string', { ...required, length, nameField: true, label: 'Name', permissionable: false, ...overrides });

export function standardObjects(options: { multiCurrency?: boolean } = {}): ObjectDef[] {
    // CurrencyIsoCode exists only once multi-currency is on (it cannot be turned off again).
    const currencyIsoCode = () => (options.multiCurrency ? [currencyField()] : []);
    return [
        buildObject({
            name: 'Account',
            label: 'Account',
            labelPlural: 'Accounts',
            keyPrefix: '001',
            fields: [
                ...currencyIsoCode(),
                nameField(255, { label: 'Account Name' }),
                picklist(
                    'Type',
                    [
                        'Prospect',
                        'Customer - Direct',
                        'Customer - Channel',
                        'Channel Partner / Reseller',
                        'Installation Partner',
                        'Technology Partner',
                        'Other'
                    ],
                    { length: 40, label: 'Account Type' }
                ),
                ref('ParentId', 'Account', 'Parent', 'ChildAccounts', { label: 'Parent Account ID' }),
                ...address('Billing', 'Billing'),
                ...address('Shipping', 'Shipping'),
                f('Phone', 'phone', { label: 'Account Phone' }),
                f('Fax', 'phone', { label: 'Account Fax' }),
                f('AccountNumber', 'string', { length: 40, label: 'Account Number' }),
                f('Website', 'url'),
                f('Sic', 'string', { length: 20, label: 'SIC Code' }),
                picklist(
                    'Industry',
                    [
                        'Agriculture',
                        'Apparel',
                        'Banking',
                        'Biotechnology',
                        'Chemicals',
                        'Communications',
                        'Construction',
                        'Consulting',
                        'Education',
                        'Electronics',
                        'Energy',
                        'Engineering',
                        'Entertainment',
                        'Environmental',
                        'Finance',
                        'Food & Beverage',
                        'Government',
                        'Healthcare',
                        'Hospitality',
                        'Insurance',
                        'Machinery',
                        'Manufacturing',
                        'Media',
                        'Not For Profit',
                        'Recreation',
                        'Retail',
                        'Shipping',
                        'Technology',
                        'Telecommunications',
                        'Transportation',
                        'Utilities',
                        'Other'
                    ],
                    { length: 40 }
                ),
                f('AnnualRevenue', 'currency', { label: 'Annual Revenue' }),
                f('NumberOfEmployees', 'int', { label: 'Employees', digits: 8 }),
                picklist('Ownership', ['Public', 'Private', 'Subsidiary', 'Other'], { length: 40 }),
                f('TickerSymbol', 'string', { length: 20 }),
                f('Description', 'textarea', { length: 32000, label: 'Account Description' }),
                picklist('Rating', ['Hot', 'Warm', 'Cold'], { length: 40, label: 'Account Rating' }),
                f('Site', 'string', { length: 80, label: 'Account Site' }),
                picklist(
                    'CleanStatus',
                    [
                        'Matched',
                        'Different',
                        'Acknowledged',
                        'NotFound',
                        'Inactive',
                        'Pending',
                        'SelectMatch',
                        'Skipped'
                    ],
                    { length: 40, restrictedPicklist: true, label: 'Clean Status' }
                ),
                picklist('AccountSource', LEAD_SOURCE, { length: 40, label: 'Account Source' }),
                f('LastActivityDate', 'date', { ...readOnly, label: 'Last Activity' })
            ]
        }),
        buildObject({
            name: 'Contact',
            label: 'Contact',
            labelPlural: 'Contacts',
            keyPrefix: '003',
            fields: [
                ...currencyIsoCode(),
                ref('AccountId', 'Account', 'Account', 'Contacts', { label: 'Account ID' }),
                f('LastName', 'string', {
                    ...required,
                    length: 80,
                    label: 'Last Name',
                    extraTypeInfo: 'personname',
                    compoundFieldName: 'Name',
                    permissionable: false
                }),
                f('FirstName', 'string', {
                    length: 40,
                    label: 'First Name',
                    extraTypeInfo: 'personname',
                    compoundFieldName: 'Name'
                }),
                picklist('Salutation', ['Mr.', 'Ms.', 'Mrs.', 'Dr.', 'Prof.'], {
                    length: 40,
                    compoundFieldName: 'Name'
                }),
                f('Name', 'string', {
                    ...readOnly,
                    length: 121,
                    nameField: true,
                    label: 'Full Name',
                    extraTypeInfo: 'personname',
                    permissionable: false
                }),
                ...address('Other', 'Other'),
                ...address('Mailing', 'Mailing'),
                f('Phone', 'phone', { label: 'Business Phone' }),
                f('Fax', 'phone', { label: 'Business Fax' }),
                f('MobilePhone', 'phone', { label: 'Mobile Phone' }),
                f('HomePhone', 'phone', { label: 'Home Phone' }),
                ref('ReportsToId', 'Contact', 'ReportsTo', null, { label: 'Reports To ID' }),
                f('Email', 'email'),
                f('Title', 'string', { length: 128 }),
                f('Department', 'string', { length: 80 }),
                picklist('LeadSource', LEAD_SOURCE, { length: 255 }),
                f('Birthdate', 'date'),
                f('Description', 'textarea', { length: 32000, label: 'Contact Description' }),
                f('LastActivityDate', 'date', { ...readOnly, label: 'Last Activity' })
            ]
        }),
        buildObject({
            name: 'Opportunity',
            label: 'Opportunity',
            labelPlural: 'Opportunities',
            keyPrefix: '006',
            fields: [
                ...currencyIsoCode(),
                ref('AccountId', 'Account', 'Account', 'Opportunities', { label: 'Account ID' }),
                f('IsPrivate', 'boolean', { label: 'Private' }),
                nameField(120),
                f('Description', 'textarea', { length: 32000 }),
                picklist(
                    'StageName',
                    OPPORTUNITY_STAGES.map((s) => s.value),
                    { ...required, label: 'Stage', permissionable: false }
                ),
                f('Amount', 'currency'),
                f('Probability', 'percent', {
                    precision: 3,
                    scale: 0,
                    label: 'Probability (%)',
                    defaultedOnCreate: true
                }),
                f('ExpectedRevenue', 'currency', {
                    ...readOnly,
                    calculated: true,
                    calculatedFormula: 'Amount * Probability / 100',
                    label: 'Expected Amount'
                }),
                f('TotalOpportunityQuantity', 'double', { precision: 18, scale: 2, label: 'Quantity' }),
                f('CloseDate', 'date', { ...required, label: 'Close Date', permissionable: false }),
                picklist(
                    'Type',
                    [
                        'Existing Customer - Upgrade',
                        'Existing Customer - Replacement',
                        'Existing Customer - Downgrade',
                        'New Customer'
                    ],
                    { label: 'Opportunity Type' }
                ),
                f('NextStep', 'string', { length: 255, label: 'Next Step' }),
                picklist('LeadSource', LEAD_SOURCE),
                f('IsClosed', 'boolean', { ...readOnly, label: 'Closed', defaultedOnCreate: true }),
                f('IsWon', 'boolean', { ...readOnly, label: 'Won', defaultedOnCreate: true }),
                picklist('ForecastCategory', ['Omitted', 'Pipeline', 'BestCase', 'MostLikely', 'Forecast', 'Closed'], {
                    ...readOnly,
                    length: 40,
                    restrictedPicklist: true,
                    defaultedOnCreate: true
                }),
                picklist('ForecastCategoryName', ['Omitted', 'Pipeline', 'Best Case', 'Commit', 'Closed'], {
                    restrictedPicklist: true,
                    defaultedOnCreate: true,
                    label: 'Forecast Category'
                }),
                f('HasOpportunityLineItem', 'boolean', { ...readOnly, label: 'Has Line Item' }),
                ref('Pricebook2Id', 'Pricebook2', 'Pricebook2', 'Opportunities', { label: 'Price Book ID' }),
                ref('ContractId', 'Contract', 'Contract', 'Opportunities', { label: 'Contract ID' }),
                ref('ContactId', 'Contact', 'Contact', 'Opportunities', { label: 'Contact ID' }),
                f('LastActivityDate', 'date', { ...readOnly, label: 'Last Activity' }),
                f('LastStageChangeDate', 'datetime', { ...readOnly, label: 'Last Stage Change Date' }),
                f('FiscalQuarter', 'int', { ...readOnly, label: 'Fiscal Quarter' }),
                f('FiscalYear', 'int', { ...readOnly, label: 'Fiscal Year' })
            ]
        }),
        buildObject({
            // Sharing and access follow the parent Opportunity (there is no object permission for it).
            name: 'OpportunityContactRole',
            label: 'Opportunity Contact Role',
            labelPlural: 'Opportunity Contact Roles',
            keyPrefix: '00K',
            owner: false,
            fields: [
                ref('OpportunityId', 'Opportunity', 'Opportunity', 'OpportunityContactRoles', {
                    ...required,
                    updateable: false,
                    label: 'Opportunity ID',
                    permissionable: false
                }),
                ref('ContactId', 'Contact', 'Contact', 'OpportunityContactRoles', {
                    ...required,
                    label: 'Contact ID',
                    permissionable: false
                }),
                picklist(
                    'Role',
                    [
                        'Business User',
                        'Decision Maker',
                        'Economic Buyer',
                        'Economic Decision Maker',
                        'Evaluator',
                        'Executive Sponsor',
                        'Influencer',
                        'Technical Buyer',
                        'Other'
                    ],
                    { length: 40 }
                ),
                f('IsPrimary', 'boolean', { label: 'Primary', permissionable: false })
            ]
        }),
        // Multi-currency only: a single-currency org has no CurrencyType.
        ...(options.multiCurrency
            ? [
                  buildObject({
                      name: 'CurrencyType',
                      label: 'Currency',
                      labelPlural: 'Currencies',
                      keyPrefix: '02B',
                      owner: false,
                      kind: 'setup',
                      fields: [
                          f('IsoCode', 'string', { ...required, length: 3, label: 'Currency ISO Code' }),
                          f('ConversionRate', 'double', {
                              ...required,
                              precision: 18,
                              scale: 6,
                              label: 'Conversion Rate'
                          }),
                          f('DecimalPlaces', 'int', { label: 'Decimal Places' }),
                          f('IsActive', 'boolean', { label: 'Active' }),
                          f('IsCorporate', 'boolean', { ...readOnly, label: 'Corporate' })
                      ].map(setupField)
                  })
              ]
            : []),
        buildObject({
            name: 'Contract',
            label: 'Contract',
            labelPlural: 'Contracts',
            keyPrefix: '800',
            fields: [
                ...currencyIsoCode(),
                ref('AccountId', 'Account', 'Account', 'Contracts', {
                    ...required,
                    label: 'Account ID',
                    permissionable: false
                }),
                ref('Pricebook2Id', 'Pricebook2', 'Pricebook2', null, { label: 'Price Book ID' }),
                picklist('OwnerExpirationNotice', ['15', '30', '45', '60', '90', '120'], {
                    length: 40,
                    label: 'Owner Expiration Notice'
                }),
                f('StartDate', 'date', { label: 'Contract Start Date' }),
                f('EndDate', 'date', {
                    ...readOnly,
                    calculated: true,
                    calculatedFormula: 'ADDMONTHS(StartDate, ContractTerm) - 1',
                    label: 'Contract End Date'
                }),
                ...address('Billing', 'Billing'),
                f('ContractTerm', 'int', { digits: 4, label: 'Contract Term' }),
                picklist('Status', Object.keys(CONTRACT_STATUSES), {
                    ...required,
                    length: 40,
                    defaultedOnCreate: true,
                    defaultValue: 'Draft',
                    picklistValues: picklistValues(Object.keys(CONTRACT_STATUSES), 'Draft'),
                    permissionable: false
                }),
                ref('CompanySignedId', 'User', 'CompanySigned', null, { label: 'Company Signed By ID' }),
                f('CompanySignedDate', 'date', { label: 'Company Signed Date' }),
                ref('CustomerSignedId', 'Contact', 'CustomerSigned', 'ContractsSigned', {
                    label: 'Customer Signed By ID'
                }),
                f('CustomerSignedTitle', 'string', { length: 40, label: 'Customer Signed Title' }),
                f('CustomerSignedDate', 'date', { label: 'Customer Signed Date' }),
                f('SpecialTerms', 'textarea', { length: 4000, label: 'Special Terms' }),
                ref('ActivatedById', 'User', 'ActivatedBy', null, { createable: false, label: 'Activated By ID' }),
                f('ActivatedDate', 'datetime', { createable: false, label: 'Activated Date' }),
                picklist('StatusCode', ['Draft', 'InApproval', 'Activated', 'Terminated', 'Expired'], {
                    ...readOnly,
                    ...required,
                    length: 40,
                    restrictedPicklist: true,
                    defaultedOnCreate: true,
                    label: 'Status Category',
                    permissionable: false
                }),
                f('Description', 'textarea', { length: 32000 }),
                f('Name', 'string', { length: 80, label: 'Contract Name', nameField: false }),
                f('ContractNumber', 'string', {
                    ...readOnly,
                    ...required,
                    autoNumber: true,
                    length: 30,
                    nameField: true,
                    label: 'Contract Number',
                    displayFormat: '{00000000}',
                    permissionable: false
                }),
                f('LastApprovedDate', 'datetime', { ...readOnly, label: 'Last Approved Date' }),
                f('LastActivityDate', 'date', { ...readOnly, label: 'Last Activity' })
            ]
        }),
        buildObject({
            name: 'User',
            label: 'User',
            labelPlural: 'Users',
            keyPrefix: '005',
            owner: false,
            deletable: false,
            fields: [
                f('Username', 'string', {
                    ...required,
                    length: 80,
                    unique: true,
                    idLookup: true,
                    permissionable: false
                }),
                f('LastName', 'string', { ...required, length: 80, label: 'Last Name', permissionable: false }),
                f('FirstName', 'string', { length: 40, label: 'First Name' }),
                f('Name', 'string', {
                    ...readOnly,
                    length: 121,
                    nameField: true,
                    label: 'Full Name',
                    permissionable: false
                }),
                f('CompanyName', 'string', { length: 80, label: 'Company Name' }),
                f('Division', 'string', { length: 80 }),
                f('Department', 'string', { length: 80 }),
                f('Title', 'string', { length: 80 }),
                ...address('', ''),
                f('Email', 'email', { ...required, length: 128, permissionable: false }),
                f('Alias', 'string', { ...required, length: 8, permissionable: false }),
                f('CommunityNickname', 'string', { length: 40, unique: true, label: 'Nickname' }),
                f('IsActive', 'boolean', { label: 'Active', defaultValue: true }),
                f('TimeZoneSidKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues([
                        'America/Los_Angeles',
                        'America/New_York',
                        'Europe/London',
                        'Europe/Berlin',
                        'GMT'
                    ]),
                    label: 'Time Zone',
                    permissionable: false
                }),
                f('LocaleSidKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues(['en_US', 'en_GB', 'de_DE', 'fr_FR']),
                    label: 'Locale',
                    permissionable: false
                }),
                f('EmailEncodingKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues(['UTF-8', 'ISO-8859-1']),
                    label: 'Email Encoding',
                    permissionable: false
                }),
                f('LanguageLocaleKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues(['en_US', 'de', 'fr']),
                    label: 'Language',
                    permissionable: false
                }),
                ref('ProfileId', 'Profile', 'Profile', 'Users', {
                    ...required,
                    label: 'Profile ID',
                    permissionable: false
                }),
                picklist('UserType', ['Standard', 'PowerPartner', 'CsnOnly', 'Guest'], {
                    ...readOnly,
                    length: 40,
                    restrictedPicklist: true,
                    label: 'User Type'
                }),
                ref('ManagerId', 'User', 'Manager', null, { label: 'Manager ID' }),
                f('LastLoginDate', 'datetime', { ...readOnly, label: 'Last Login' })
            ]
        }),
        buildObject({
            name: 'Profile',
            label: 'Profile',
            labelPlural: 'Profiles',
            keyPrefix: '00e',
            owner: false,
            kind: 'setup',
            createable: false,
            updateable: false,
            deletable: false,
            fields: [
                nameField(255),
                f('Description', 'string', { length: 255 }),
                picklist('UserType', ['Standard', 'PowerPartner', 'CsnOnly', 'Guest'], {
                    length: 40,
                    restrictedPicklist: true,
                    label: 'User Type'
                }),
                f('PermissionsModifyAllData', 'boolean', { label: 'Modify All Data' }),
                f('PermissionsViewAllData', 'boolean', { label: 'View All Data' }),
                f('PermissionsViewAllUsers', 'boolean', { label: 'View All Users' }),
                f('PermissionsApiEnabled', 'boolean', { label: 'API Enabled' })
            ].map(setupField)
        }),
        buildObject({
            name: 'Organization',
            label: 'Organization',
            labelPlural: 'Organizations',
            keyPrefix: '00D',
            owner: false,
            kind: 'setup',
            createable: false,
            deletable: false,
            fields: [
                nameField(80),
                f('Division', 'string', { length: 80 }),
                ...address('', ''),
                f('Phone', 'phone'),
                f('PrimaryContact', 'string', { length: 80, label: 'Primary Contact' }),
                f('DefaultLocaleSidKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues(['en_US']),
                    label: 'Locale'
                }),
                f('TimeZoneSidKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues(['America/Los_Angeles', 'GMT']),
                    label: 'Time Zone'
                }),
                f('LanguageLocaleKey', 'picklist', {
                    ...required,
                    length: 40,
                    picklistValues: picklistValues(['en_US']),
                    label: 'Language'
                }),
                f('FiscalYearStartMonth', 'int', { label: 'Fiscal Year Starts In' }),
                picklist(
                    'OrganizationType',
                    [
                        'Team Edition',
                        'Professional Edition',
                        'Enterprise Edition',
                        'Developer Edition',
                        'Personal Edition',
                        'Unlimited Edition',
                        'Contact Manager Edition',
                        'Base Edition'
                    ],
                    { ...readOnly, length: 40, label: 'Edition' }
                ),
                f('NamespacePrefix', 'string', { ...readOnly, length: 15, label: 'Namespace Prefix' }),
                f('InstanceName', 'string', { ...readOnly, length: 5, label: 'Instance Name' }),
                f('IsSandbox', 'boolean', { ...readOnly, label: 'Is Sandbox' }),
                f('TrialExpirationDate', 'datetime', { ...readOnly, label: 'Trial Expiration Date' }),
                f('IsReadOnly', 'boolean', { ...readOnly, label: 'Is Read Only' })
            ].map(setupField)
        }),
        buildObject({
            name: 'Product2',
            label: 'Product',
            labelPlural: 'Products',
            keyPrefix: '01t',
            owner: false,
            fields: [
                nameField(255, { label: 'Product Name' }),
                f('ProductCode', 'string', { length: 255, label: 'Product Code' }),
                f('Description', 'textarea', { length: 4000, label: 'Product Description' }),
                f('IsActive', 'boolean', { label: 'Active' }),
                picklist('Family', ['None'], { length: 40, label: 'Product Family' }),
                f('ExternalId', 'string', { length: 255, label: 'External ID' }),
                f('DisplayUrl', 'url', { length: 1000, label: 'Display URL' }),
                picklist('QuantityUnitOfMeasure', ['Each'], { length: 255, label: 'Quantity Unit Of Measure' }),
                f('IsArchived', 'boolean', { ...readOnly, label: 'Is Archived' }),
                f('StockKeepingUnit', 'string', { length: 180, label: 'Product SKU' })
            ]
        }),
        buildObject({
            name: 'Pricebook2',
            label: 'Price Book',
            labelPlural: 'Price Books',
            keyPrefix: '01s',
            owner: false,
            fields: [
                nameField(255, { label: 'Price Book Name' }),
                f('IsActive', 'boolean', { label: 'Active' }),
                f('IsArchived', 'boolean', { ...readOnly, label: 'Is Archived' }),
                f('Description', 'string', { length: 255 }),
                f('IsStandard', 'boolean', { ...readOnly, label: 'Is Standard Price Book' })
            ]
        }),
        buildObject({
            name: 'PricebookEntry',
            label: 'Price Book Entry',
            labelPlural: 'Price Book Entries',
            keyPrefix: '01u',
            owner: false,
            fields: [
                f('Name', 'string', {
                    ...readOnly,
                    length: 255,
                    nameField: true,
                    label: 'Product Name',
                    permissionable: false
                }),
                ref('Pricebook2Id', 'Pricebook2', 'Pricebook2', 'PricebookEntries', {
                    ...required,
                    updateable: false,
                    label: 'Price Book ID',
                    permissionable: false
                }),
                ref('Product2Id', 'Product2', 'Product2', 'PricebookEntries', {
                    ...required,
                    updateable: false,
                    label: 'Product ID',
                    permissionable: false
                }),
                f('UnitPrice', 'currency', { ...required, label: 'List Price', permissionable: false }),
                f('IsActive', 'boolean', { label: 'Active' }),
                f('UseStandardPrice', 'boolean', { label: 'Use Standard Price' }),
                f('ProductCode', 'string', { ...readOnly, length: 255, label: 'Product Code' }),
                f('IsArchived', 'boolean', { ...readOnly, label: 'Is Archived' })
            ]
        }),
        buildObject({
            name: 'ContentDocument',
            label: 'Content Document',
            labelPlural: 'Content Documents',
            keyPrefix: '069',
            createable: false,
            fields: [
                f('Title', 'string', { ...required, length: 255, nameField: true, permissionable: false }),
                f('Description', 'textarea', { length: 1000 }),
                ref('LatestPublishedVersionId', 'ContentVersion', 'LatestPublishedVersion', null, {
                    ...readOnly,
                    label: 'Latest Published Version ID'
                }),
                f('FileType', 'string', { ...readOnly, length: 20, label: 'File Type' }),
                f('FileExtension', 'string', { ...readOnly, length: 40, label: 'File Extension' }),
                f('ContentSize', 'int', { ...readOnly, label: 'Size' }),
                picklist('PublishStatus', ['U', 'P', 'R'], {
                    ...readOnly,
                    restrictedPicklist: true,
                    label: 'Publish Status'
                })
            ]
        }),
        buildObject({
            name: 'ContentVersion',
            label: 'Content Version',
            labelPlural: 'Content Versions',
            keyPrefix: '068',
            deletable: false,
            fields: [
                ref('ContentDocumentId', 'ContentDocument', 'ContentDocument', 'ContentVersions', {
                    updateable: false,
                    defaultedOnCreate: true,
                    label: 'ContentDocument ID'
                }),
                f('IsLatest', 'boolean', { ...readOnly, label: 'Is Latest', defaultedOnCreate: true }),
                f('VersionNumber', 'string', { ...readOnly, length: 20, label: 'Version Number' }),
                f('Title', 'string', { ...required, length: 255, nameField: true, permissionable: false }),
                f('Description', 'textarea', { length: 1000 }),
                f('ReasonForChange', 'string', { length: 1000, label: 'Reason For Change' }),
                f('PathOnClient', 'string', { length: 500, updateable: false, label: 'Path On Client' }),
                f('FileType', 'string', { ...readOnly, length: 20, label: 'File Type' }),
                f('FileExtension', 'string', { ...readOnly, length: 40, label: 'File Extension' }),
                f('VersionData', 'base64', { updateable: false, label: 'Version Data' }),
                f('ContentSize', 'int', { ...readOnly, label: 'Size' }),
                f('Checksum', 'string', { ...readOnly, length: 50 }),
                ref(
                    'FirstPublishLocationId',
                    ['Account', 'Contact', 'Contract', 'Opportunity', 'User'],
                    'FirstPublishLocation',
                    null,
                    { updateable: false, label: 'First Publish Location ID' }
                ),
                picklist('Origin', ['C', 'H'], {
                    restrictedPicklist: true,
                    defaultedOnCreate: true,
                    nillable: false,
                    updateable: false,
                    label: 'Content Origin'
                }),
                picklist('ContentLocation', ['S', 'E', 'L'], {
                    restrictedPicklist: true,
                    defaultedOnCreate: true,
                    nillable: false,
                    updateable: false,
                    label: 'Content Location'
                }),
                picklist('PublishStatus', ['U', 'P', 'R'], {
                    ...readOnly,
                    restrictedPicklist: true,
                    label: 'Publish Status'
                })
            ]
        }),
        buildObject({
            name: 'ContentDocumentLink',
            label: 'Content Document Link',
            labelPlural: 'Content Document Link',
            keyPrefix: '06A',
            owner: false,
            updateable: true,
            fields: [
                ref(
                    'LinkedEntityId',
                    ['Account', 'Contact', 'Contract', 'Opportunity', 'User', 'SBQQ__Quote__c'],
                    'LinkedEntity',
                    'ContentDocumentLinks',
                    { ...required, updateable: false, label: 'Linked Entity ID', permissionable: false }
                ),
                ref('ContentDocumentId', 'ContentDocument', 'ContentDocument', 'ContentDocumentLinks', {
                    ...required,
                    updateable: false,
                    label: 'Document ID',
                    permissionable: false
                }),
                picklist('ShareType', ['V', 'C', 'I'], {
                    restrictedPicklist: true,
                    defaultedOnCreate: true,
                    label: 'Share Type'
                }),
                picklist('Visibility', ['AllUsers', 'InternalUsers', 'SharedUsers'], {
                    restrictedPicklist: true,
                    defaultedOnCreate: true
                })
            ]
        }),
        ...permissionObjects(),
        // A user's access to records (computed per query by soql/userRecordAccess.ts; nothing is stored).
        buildObject({
            name: 'UserRecordAccess',
            label: 'User Record Access',
            labelPlural: 'User Record Access',
            keyPrefix: '0Ya',
            kind: 'setup',
            owner: false,
            audit: false,
            createable: false,
            updateable: false,
            deletable: false,
            fields: [
                ref('UserId', 'User', 'User', null, { ...readOnly, label: 'User ID' }),
                f('RecordId', 'picklist', { ...readOnly, length: 40, label: 'Record ID', restrictedPicklist: true }),
                ...['HasReadAccess', 'HasEditAccess', 'HasDeleteAccess', 'HasTransferAccess', 'HasAllAccess'].map(
                    (name) => f(name, 'boolean', { ...readOnly, defaultedOnCreate: true })
                ),
                picklist('MaxAccessLevel', ['None', 'Read', 'Edit', 'Delete', 'Transfer', 'All'], {
                    ...readOnly,
                    restrictedPicklist: true,
                    label: 'Maximum Access Level'
                })
            ].map(setupField)
        }),
        buildObject({
            name: 'ScratchOrgInfo',
            label: 'Scratch Org Info',
            labelPlural: 'Scratch Org Infos',
            keyPrefix: '2SR',
            kind: 'setup',
            fields: [nameField(80, { ...readOnly, autoNumber: false }), f('OrgName', 'string', { length: 255 })]
        })
    ];
}

function setupField(field: FieldDef): FieldDef {
    return { ...field, permissionable: false };
}

/** PermissionSet, PermissionSetAssignment, ObjectPermissions and FieldPermissions (queryable setup objects). */
function permissionObjects(): ObjectDef[] {
    const setup = { owner: false, kind: 'setup' as const };
    return [
        buildObject({
            ...setup,
            name: 'PermissionSet',
            label: 'Permission Set',
            labelPlural: 'Permission Sets',
            keyPrefix: '0PS',
            fields: [
                f('Name', 'string', { ...required, length: 80, nameField: true, label: 'Name' }),
                f('Label', 'string', { ...required, length: 80 }),
                f('Description', 'string', { length: 255 }),
                f('IsOwnedByProfile', 'boolean', { ...readOnly, label: 'Is Owned By Profile' }),
                ref('ProfileId', 'Profile', 'Profile', null, { ...readOnly, label: 'Profile ID' }),
                f('NamespacePrefix', 'string', { ...readOnly, length: 15 }),
                f('PermissionsApiEnabled', 'boolean', { label: 'API Enabled' }),
                f('PermissionsModifyAllData', 'boolean', { label: 'Modify All Data' }),
                f('PermissionsViewAllData', 'boolean', { label: 'View All Data' }),
                f('PermissionsViewAllUsers', 'boolean', { label: 'View All Users' })
            ].map(setupField)
        }),
        buildObject({
            ...setup,
            name: 'PermissionSetAssignment',
            label: 'Permission Set Assignment',
            labelPlural: 'Permission Set Assignments',
            keyPrefix: '0Pa',
            updateable: false,
            fields: [
                ref('AssigneeId', 'User', 'Assignee', 'PermissionSetAssignments', {
                    ...required,
                    updateable: false,
                    label: 'Assignee ID'
                }),
                ref('PermissionSetId', 'PermissionSet', 'PermissionSet', 'Assignments', {
                    ...required,
                    updateable: false,
                    label: 'Permission Set ID'
                }),
                f('IsActive', 'boolean', { ...readOnly, label: 'Is Active', defaultValue: true })
            ].map(setupField)
        }),
        buildObject({
            ...setup,
            name: 'ObjectPermissions',
            label: 'Object Permissions',
            labelPlural: 'Object Permissions',
            keyPrefix: '110',
            fields: [
                ref('ParentId', 'PermissionSet', 'Parent', 'ObjectPerms', {
                    ...required,
                    updateable: false,
                    label: 'Parent ID'
                }),
                f('SobjectType', 'string', { ...required, length: 40, updateable: false, label: 'Sobject Type Name' }),
                f('PermissionsRead', 'boolean', { label: 'Read' }),
                f('PermissionsCreate', 'boolean', { label: 'Create' }),
                f('PermissionsEdit', 'boolean', { label: 'Edit' }),
                f('PermissionsDelete', 'boolean', { label: 'Delete' }),
                f('PermissionsViewAllRecords', 'boolean', { label: 'View All' }),
                f('PermissionsModifyAllRecords', 'boolean', { label: 'Modify All' })
            ].map(setupField)
        }),
        // Custom permissions and what grants them (SetupEntityAccess rows of type CustomPermission under a permission
        // set): the rows Apex's FeatureManagement.checkPermission reads, so a query and the check agree.
        buildObject({
            ...setup,
            name: 'CustomPermission',
            label: 'Custom Permission',
            labelPlural: 'Custom Permissions',
            keyPrefix: '0CP',
            fields: [
                f('DeveloperName', 'string', { ...required, length: 80, label: 'Name' }),
                f('MasterLabel', 'string', { ...required, length: 255, nameField: true, label: 'Label' }),
                f('NamespacePrefix', 'string', { ...readOnly, length: 15 })
            ].map(setupField)
        }),
        buildObject({
            ...setup,
            name: 'SetupEntityAccess',
            label: 'Setup Entity Access',
            labelPlural: 'Setup Entity Access',
            keyPrefix: '0J0',
            updateable: false,
            fields: [
                ref('ParentId', 'PermissionSet', 'Parent', 'SetupEntityAccessItems', {
                    ...required,
                    updateable: false,
                    label: 'Parent ID'
                }),
                ref('SetupEntityId', 'CustomPermission', 'SetupEntity', null, {
                    ...required,
                    updateable: false,
                    label: 'Setup Entity ID'
                }),
                f('SetupEntityType', 'string', { ...readOnly, length: 40, label: 'Setup Entity Type' })
            ].map(setupField)
        }),
        buildObject({
            ...setup,
            name: 'FieldPermissions',
            label: 'Field Permissions',
            labelPlural: 'Field Permissions',
            keyPrefix: '01k',
            fields: [
                ref('ParentId', 'PermissionSet', 'Parent', 'FieldPerms', {
                    ...required,
                    updateable: false,
                    label: 'Parent ID'
                }),
                f('SobjectType', 'string', { ...required, length: 40, updateable: false, label: 'Sobject Type Name' }),
                f('Field', 'string', { ...required, length: 255, updateable: false, label: 'Field Name' }),
                f('PermissionsRead', 'boolean', { label: 'Read' }),
                f('PermissionsEdit', 'boolean', { label: 'Edit' })
            ].map(setupField)
        })
    ];
}
