import { createElement } from 'lwc';
import { afterEach, describe, expect, it } from 'vitest';
import ClmErrorPanel from 'c/clmErrorPanel';
import { all, expectAccessible, flushPromises, resetDom, text } from '../../../../../test/lwc/testUtils.js';

describe('c-clm-error-panel', () => {
    afterEach(resetDom);

    it('announces the friendly message and each reason', async () => {
        const element = createElement('c-clm-error-panel', { is: ClmErrorPanel });
        element.friendlyMessage = 'Saving failed.';
        element.errors = [new Error('One'), { body: { message: 'Two' } }];
        document.body.appendChild(element);
        await flushPromises();
        expect(element.shadowRoot.querySelector('[role="alert"]')).not.toBeNull();
        expect(text(element, '.friendly')).toBe('Saving failed.');
        expect(all(element, '.reason').map((li) => li.textContent)).toEqual(['One', 'Two']);
        await expectAccessible(element);
    });
});
