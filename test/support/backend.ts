import type { BackendName } from '../../lib/backend/types';

/** The backend under test for this vitest project ('js' or 'native'). */
export const BACKEND: BackendName = process.env.DENSELY_TEST_BACKEND === 'native' ? 'native' : 'js';
