/** The sync domain: pure types and functions, no I/O. */
export * from './errors.ts';
export * from './clm.ts';
export * from './salesforce.ts';
export * from './decimal.ts';
export * from './transforms.ts';
export * from './rules.ts';
export * from './defaultRules.ts';
export * from './syncState.ts';
export * from './overwrites.ts';
export * from './planner.ts';
export * from './ruleRecords.ts';
export * from './soql.ts';
export * from './audit.ts';
export * from './orgContract.ts';
export * from './backfillPlan.ts';
