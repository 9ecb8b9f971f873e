import { errorMessage, failureKind, isHubError } from '../errors.ts';
import type { Connector, TestResult } from './contract.ts';

/**
 * A connector's `testConnection()` as the admin API shows it: a rejection becomes a failed result
 * with the error's kind and code. The one place that turns a throwing check into a TestResult, so
 * connectors let their errors through instead of each catching them.
 */
export async function connectionTest(connector: Pick<Connector, 'testConnection'>): Promise<TestResult> {
  try {
    return await connector.testConnection();
  } catch (e) {
    return { ok: false, kind: failureKind(e), code: isHubError(e) ? e.code : 'HUB_ERR_TEST_FAILED', message: errorMessage(e) };
  }
}
