/** What a verification code is replaced with wherever it is stored or shown: history, jobs, texts kept. */
export const VERIFICATION_CODE_MASK = '******';
