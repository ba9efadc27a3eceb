// k6 load test: GET /total on the totals service.
//
//   k6 run k6-tests/total.js                                  # 50 VUs for 30s
//   k6 run -e VUS=1000 -e DURATION=10s k6-tests/total.js      # the seed's original shape
//   k6 run -e TOTALS_URL=http://127.0.0.1:8080 k6-tests/total.js
import http from 'k6/http';
import { check } from 'k6';

const BASE = (__ENV.TOTALS_URL || 'http://127.0.0.1:8080').replace(/\/$/, '');

export const options = {
  scenarios: {
    total: {
      executor: 'constant-vus',
      vus: parseInt(__ENV.VUS || '50', 10),
      duration: __ENV.DURATION || '30s',
      gracefulStop: '5s',
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.001'],
    http_req_duration: ['p(95)<20', 'p(99)<100'],
    checks: ['rate>0.999'],
  },
};

// The total is a JSON integer, or a JSON string of digits once it no longer fits a double.
function isTotal(body) {
  let v;
  try {
    v = JSON.parse(body);
  } catch (e) {
    return false;
  }
  if (typeof v === 'number') return Number.isInteger(v);
  return typeof v === 'string' && /^-?\d+$/.test(v);
}

export default function () {
  const res = http.get(`${BASE}/total`, { tags: { name: 'GET /total' } });
  check(res, {
    'status is 200': (r) => r.status === 200,
    'body is an integer total': (r) => isTotal(r.body),
  });
}
