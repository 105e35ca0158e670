// Standard objects the package's Apex writes or reads that only matter once Apex runs: Task (review tasks the
// automation creates), CronTrigger (System.schedule) and AsyncApexJob (System.enqueueJob, @future).
import { buildObject } from '../schema/standard-objects.ts';
import { defineField, picklistValues, type ObjectDef } from '../schema/types.ts';

export function apexObjects(): ObjectDef[] {
    return [
        buildObject({
            name: 'Task',
            label: 'Task',
            labelPlural: 'Tasks',
            keyPrefix: '00T',
            fields: [
                defineField('Subject', 'combobox', { length: 255 }),
                defineField('Description', 'textarea', { length: 32000 }),
                defineField('ActivityDate', 'date', { label: 'Due Date Only' }),
                defineField('Priority', 'picklist', {
                    nillable: false,
                    defaultedOnCreate: true,
                    picklistValues: picklistValues(['High', 'Normal', 'Low'], 'Normal')
                }),
                defineField('Status', 'picklist', {
                    nillable: false,
                    defaultedOnCreate: true,
                    picklistValues: picklistValues(
                        ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'],
                        'Not Started'
                    )
                }),
                defineField('WhatId', 'reference', {
                    referenceTo: ['Account', 'Opportunity', 'Contract'],
                    relationshipName: 'What',
                    childRelationshipName: 'Tasks',
                    label: 'Related To ID'
                }),
                defineField('WhoId', 'reference', {
                    referenceTo: ['Contact'],
                    relationshipName: 'Who',
                    childRelationshipName: 'Tasks',
                    label: 'Name ID'
                })
            ]
        }),
        buildObject({
            name: 'CronTrigger',
            label: 'Scheduled Job',
            labelPlural: 'Scheduled Jobs',
            keyPrefix: '08e',
            owner: false,
            kind: 'setup',
            createable: false,
            updateable: false,
            deletable: false,
            fields: [
                defineField('CronExpression', 'string', { length: 255, createable: false, updateable: false }),
                defineField('CronJobDetailName', 'string', { length: 255, createable: false, updateable: false }),
                defineField('State', 'string', { length: 40, createable: false, updateable: false }),
                defineField('NextFireTime', 'datetime', { createable: false, updateable: false }),
                defineField('PreviousFireTime', 'datetime', { createable: false, updateable: false }),
                defineField('TimesTriggered', 'int', { createable: false, updateable: false })
            ]
        }),
        buildObject({
            name: 'AsyncApexJob',
            label: 'Apex Job',
            labelPlural: 'Apex Jobs',
            keyPrefix: '707',
            owner: false,
            kind: 'setup',
            createable: false,
            updateable: false,
            deletable: false,
            fields: [
                defineField('JobType', 'string', { length: 40, createable: false, updateable: false }),
                defineField('ApexClassName', 'string', { length: 255, createable: false, updateable: false }),
                defineField('Status', 'string', { length: 40, createable: false, updateable: false }),
                defineField('ExtendedStatus', 'string', { length: 255, createable: false, updateable: false }),
                defineField('NumberOfErrors', 'int', { createable: false, updateable: false }),
                defineField('CompletedDate', 'datetime', { createable: false, updateable: false })
            ]
        })
    ];
}
