// Setup for the LWC unit tests (vitest project "lwc", jsdom): the sfdx-lwc-jest lightning stubs
// call the global `jest.fn()`, so `jest` is vitest's `vi`.
import { vi } from 'vitest';

(globalThis as unknown as { jest: typeof vi }).jest = vi;
