/**
 * Test double for lightning/empApi with a control surface, so a test can deliver a platform event,
 * fail a subscription or switch the streaming API off (the ebikes empApiMock pattern).
 */
const state = { enabled: true, subscribeError: null, handlers: new Map(), errorHandlers: [] };

export const subscribe = jest.fn((channel, replayId, onMessage) => {
    if (state.subscribeError) return Promise.reject(state.subscribeError);
    state.handlers.set(channel, onMessage);
    return Promise.resolve({ channel, id: `${channel}-subscription` });
});
export const unsubscribe = jest.fn((subscription) => {
    if (subscription) state.handlers.delete(subscription.channel);
    return Promise.resolve(true);
});
export const onError = jest.fn((handler) => {
    state.errorHandlers.push(handler);
});
export const setDebugFlag = jest.fn(() => Promise.resolve());
export const isEmpEnabled = jest.fn(() => Promise.resolve(state.enabled));

/** Only tests use this. */
export const empApiMock = {
    reset() {
        state.enabled = true;
        state.subscribeError = null;
        state.handlers.clear();
        state.errorHandlers.length = 0;
    },
    setEnabled(enabled) {
        state.enabled = enabled;
    },
    setSubscribeError(error) {
        state.subscribeError = error;
    },
    isSubscribed(channel) {
        return state.handlers.has(channel);
    },
    /** Delivers an event the way empApi does: `{ channel, data: { event: { replayId }, payload } }`. */
    fireEvent(channel, payload, replayId = 1) {
        const handler = state.handlers.get(channel);
        if (handler) handler({ channel, data: { event: { replayId }, payload } });
        return Boolean(handler);
    },
    fireError(error) {
        state.errorHandlers.forEach((handler) => handler(error));
    }
};
