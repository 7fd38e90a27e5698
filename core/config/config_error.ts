/**
 * @module config_error
 * The error every config problem is raised as (main.ts exits 2 on it). Its own module so the
 * config file reader and the key validation can both raise it without importing each other.
 */

/** Raised for a bad config file, key or value; the message names the key and what is allowed. */
export class ConfigError extends Error {
  override name = "ConfigError";
}
