/** The redactor moved to core (the logger uses it too); kept here for the API's imports. */
export { redactor } from '../core/util/redact.ts';
