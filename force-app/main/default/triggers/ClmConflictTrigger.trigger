trigger ClmConflictTrigger on Clm_Conflict__c(before insert, before update) {
    new ClmConflictTriggerHandler().run();
}
