import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { SipSession } from './client.ts';
import { SipDialogCollector } from './collector.ts';
import type { SipDialogConfig } from './config.ts';

/** The lifecycle of one sip-dialog instance: the SIP session and the line-state collector (collector.ts). */
export class SipDialogConnector implements Connector {
  private session: SipSession | undefined;
  private readonly collector: SipDialogCollector;

  constructor(private readonly ctx: ConnectorContext<SipDialogConfig>) {
    this.collector = new SipDialogCollector(ctx);
  }

  async start(): Promise<void> {
    const session = await SipSession.open(this.ctx.config, this.ctx.log);
    this.session = session;
    this.collector.watch(session);
    this.ctx.log.info({ lines: this.ctx.config.lines.length }, 'sip-dialog started');
  }

  async stop(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s === undefined) return;
    try {
      await s.close();
    } finally {
      await this.collector.close();
    }
  }

  async testConnection(): Promise<TestResult> {
    return SipSession.test(this.ctx.config, this.ctx.log, this.session);
  }
}
