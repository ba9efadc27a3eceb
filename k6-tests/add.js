// k6 load test: gRPC Add on the calculator (/CalculatorService/Add, the seed's wire names).
//
//   k6 run k6-tests/add.js                                   # 50 VUs for 30s
//   k6 run -e VUS=1000 -e DURATION=10s k6-tests/add.js       # the seed's original shape
//   k6 run -e CALC_ADDR=127.0.0.1:9090 k6-tests/add.js
//
// Run from the repository root (the proto is loaded from ./proto). Each VU opens ONE connection on
// its first iteration and reuses it (the seed opened a new connection per iteration, which is what
// its 196 ms average measured). Every call carries a unique request_id (idempotency key).
import grpc from 'k6/net/grpc';
import { check, fail } from 'k6';
import { Counter, Trend } from 'k6/metrics';
import exec from 'k6/execution';

const ADDR = __ENV.CALC_ADDR || '127.0.0.1:9090';
const MAX_NUM = parseInt(__ENV.MAX_NUM || '1000', 10);

const client = new grpc.Client();
// Paths resolve relative to this script: ../proto/calculator.proto. With USE_REFLECTION=1 the
// schema comes from the server's reflection service instead.
if (!__ENV.USE_REFLECTION) {
  client.load(['../proto'], 'calculator.proto');
}

const addErrors = new Counter('add_errors');
const wrongSums = new Counter('add_wrong_sums');
const addLatency = new Trend('add_latency', true);

export const options = {
  scenarios: {
    add: {
      executor: 'constant-vus',
      vus: parseInt(__ENV.VUS || '50', 10),
      duration: __ENV.DURATION || '30s',
      gracefulStop: '5s',
    },
  },
  thresholds: {
    grpc_req_duration: ['p(95)<50', 'p(99)<200'],
    checks: ['rate>0.999'],
    add_errors: ['count<1'],
    add_wrong_sums: ['count<1'],
  },
};

export function setup() {
  // One id per run, so request ids never collide with an earlier run's.
  return { runId: `k6-${Date.now()}-${Math.floor(Math.random() * 1e9)}` };
}

let connected = false;

function randInt() {
  return Math.floor(Math.random() * (2 * MAX_NUM + 1)) - MAX_NUM;
}

export default function (data) {
  if (!connected) {
    client.connect(ADDR, { plaintext: true, reflect: !!__ENV.USE_REFLECTION, timeout: '10s' });
    connected = true;
  }
  const num1 = randInt();
  const num2 = randInt();
  const requestId = `${data.runId}-${exec.vu.idInTest}-${exec.vu.iterationInInstance}`;

  const t0 = Date.now();
  const res = client.invoke('/CalculatorService/Add', { num1, num2, request_id: requestId }, { timeout: '5s' });
  addLatency.add(Date.now() - t0);

  const ok = check(res, {
    'status is OK': (r) => r && r.status === grpc.StatusOK,
  });
  if (!ok) {
    addErrors.add(1);
    return;
  }
  // proto3 JSON renders int64 as a string.
  const sum = Number(res.message.sum);
  if (!check(sum, { 'sum is num1 + num2': (s) => s === num1 + num2 })) {
    wrongSums.add(1);
  }
  check(res.message, { 'has an event token': (m) => typeof m.token === 'string' && m.token.length > 0 });
}
