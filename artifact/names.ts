// Names a configuration holds: the function's own name and its environment variable names.

/** A function name: a lower-case letter, then a-z, 0-9 and "-", at most 63 characters. */
export const FUNCTION_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/

/** What a valid function name looks like, for messages. */
export const FUNCTION_NAME_RULE = 'must start with a lower-case letter and use only a-z, 0-9 and "-" (at most 63 characters)'

/** An environment variable name a function may read. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/

export function isFunctionName(v: unknown): v is string {
  return typeof v === 'string' && FUNCTION_NAME_PATTERN.test(v)
}
