trigger ClmSyncStatusTrigger on Clm_Sync_Status__e(after insert) {
    new ClmSyncStatusTriggerHandler().run();
}
