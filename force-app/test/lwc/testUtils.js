/** Helpers shared by the LWC unit tests (vitest + jsdom). */
import { expect } from 'vitest';
import { assertAccessible } from '@sa11y/assert';

/** Lets pending promises and the re-render they cause settle. */
export async function flushPromises(rounds = 3) {
    for (let i = 0; i < rounds; i++) {
        // eslint-disable-next-line no-await-in-loop
        await new Promise((resolve) => setTimeout(resolve, 0));
    }
}

/** Removes every component a test mounted. */
export function resetDom() {
    while (document.body.firstChild) document.body.removeChild(document.body.firstChild);
}

/**
 * Runs the sa11y base rules (axe-core, as Salesforce's own LWC tests do) over the component's
 * rendered DOM, shadow trees included, and fails with the violations listed.
 */
export async function expectAccessible(element) {
    await expect(assertAccessible(element)).resolves.toBeUndefined();
}

/** Every element matching a selector inside the component's shadow root. */
export function all(element, selector) {
    return [...element.shadowRoot.querySelectorAll(selector)];
}

/** Text of the first match inside the shadow root, whitespace collapsed. */
export function text(element, selector) {
    const found = element.shadowRoot.querySelector(selector);
    return found ? found.textContent.replace(/\s+/g, ' ').trim() : null;
}
