// Listens for VMC (OSC over UDP) with osc-js and prints every message it parses as one JSON line
// {"address": ..., "args": [...]}. Prints "ready <port>" once bound; exits 0 after <applies>
// /VMC/Ext/Blend/Apply messages, or 3 after 15 s.
// usage: node vmc-listen.mjs <port> <applies>
import OSC from 'osc-js';

const port = Number(process.argv[2] ?? 39539);
const want = Number(process.argv[3] ?? 1);
let applies = 0;
const osc = new OSC({ plugin: new OSC.DatagramPlugin({ open: { host: '127.0.0.1', port } }) });
osc.on('open', () => process.stdout.write(`ready ${port}\n`));
osc.on('error', (e) => process.stderr.write(`osc error: ${e.message}\n`));
osc.on('*', (message) => {
  process.stdout.write(JSON.stringify({ address: message.address, args: message.args }) + '\n');
  if (message.address === '/VMC/Ext/Blend/Apply' && ++applies >= want) {
    osc.close();
    setTimeout(() => process.exit(0), 50);
  }
});
osc.open();
setTimeout(() => { process.stderr.write('timed out\n'); process.exit(3); }, 15000);
