/**
 * The DMCC simulator as a stand-alone AE Services for the demo: plain TCP on 127.0.0.1 (default
 * port 14721), the CTI user `hubuser` with the password in AES_PASSWORD (default `demo`), switch
 * connection `CM1`, stations 0101 and 0102 (alice's and bob's tel: numbers in
 * examples/avaya-aes.yaml), and a telephone that makes calls: inbound calls that ring and are
 * answered, put on hold, taken back and cleared.
 *
 *   npx tsx connectors/avaya-aes/simulator-demo.ts [port]
 *   AES_USER=hubuser AES_PASSWORD=demo presence-hub start --config examples/avaya-aes.yaml
 */
import { fileURLToPath } from 'node:url';
import { AesSimulator } from './simulator.ts';

export async function runDemo(port: number, password: string, log: (line: string) => void, everyMs = 4000): Promise<{ port: number; stop(): Promise<void> }> {
  const stations = ['0101', '0102'];
  const sim = new AesSimulator({ stations, users: { hubuser: password } });
  await sim.start(port);
  log(`AE Services (DMCC simulator) on 127.0.0.1:${sim.port}, switch CM1, stations ${stations.join(', ')}`);
  let step = 0;
  const calls = new Map<string, string>();
  const timer = setInterval(() => {
    const ext = stations[step % stations.length]!;
    const phase = Math.floor(step / stations.length) % 5;
    const call = calls.get(ext);
    if (phase === 0) calls.set(ext, sim.dial(`+1555999${String(1000 + step).slice(-4)}`, ext));
    else if (phase === 1 && call !== undefined) sim.answer(call, ext);
    else if (phase === 2 && call !== undefined) sim.hold(call, ext);
    else if (phase === 3 && call !== undefined) sim.retrieve(call, ext);
    else if (phase === 4 && call !== undefined) {
      sim.hangup(call, ext);
      calls.delete(ext);
    }
    log(`${ext}: ${['rings', 'answered', 'on hold', 'taken back', 'cleared'][phase]}`);
    step++;
  }, everyMs);
  timer.unref?.();
  return {
    port: sim.port,
    async stop() {
      clearInterval(timer);
      await sim.stop();
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const demo = await runDemo(Number(process.argv[2] ?? 14721), process.env.AES_PASSWORD ?? 'demo', (l) => console.log(l));
  setInterval(() => undefined, 1 << 30);
  process.on('SIGINT', () => void demo.stop().then(() => process.exit(0)));
}
