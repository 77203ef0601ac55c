/** The backend under test for this vitest project ('js' or 'native'). */
export const BACKEND: 'js' | 'native' = process.env.DENSELY_TEST_BACKEND === 'native' ? 'native' : 'js';
