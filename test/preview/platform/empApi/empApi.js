/* global window, EventSource */
// Preview stand-in for lightning/empApi: the same four functions, carried over Server-Sent Events from the
// preview server, which relays the emulator's platform events. Messages have empApi's shape:
// { channel, data: { event: { replayId }, payload } }.
const errorHandlers = [];
let sequence = 0;

export function isEmpEnabled() {
    return Promise.resolve(typeof EventSource !== 'undefined' && !window.PREVIEW_DISABLE_EMP);
}

export function subscribe(channel, replayId, onMessage) {
    return new Promise((resolve, reject) => {
        const source = new EventSource(`/events?channel=${encodeURIComponent(channel)}`);
        let opened = false;
        source.onopen = () => {
            opened = true;
            resolve({ id: `sub-${++sequence}`, channel, replayId, source });
        };
        source.onmessage = (message) => onMessage(JSON.parse(message.data));
        source.onerror = () => {
            if (!opened) {
                source.close();
                reject(new Error(`Subscribing to ${channel} failed`));
            } else {
                errorHandlers.forEach((handler) => handler({ error: `The connection to ${channel} dropped` }));
            }
        };
    });
}

export function unsubscribe(subscription) {
    if (subscription && subscription.source) subscription.source.close();
    return Promise.resolve(true);
}

export function onError(handler) {
    errorHandlers.push(handler);
}

export function setDebugFlag() {
    return Promise.resolve();
}
