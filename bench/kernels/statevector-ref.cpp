// C++ reference for the statevector benchmark: the same circuit (3 layers of H on every qubit, CX chain,
// RZ on every qubit) applied gate by gate over a std::complex<double> vector, as a straightforward -O3 build.
// Usage: statevector-ref <qubits> <repeats>; prints the median milliseconds and the norm.
#include <algorithm>
#include <chrono>
#include <complex>
#include <cstdio>
#include <cstdlib>
#include <vector>

using cd = std::complex<double>;

static void h(std::vector<cd>& s, int q) {
  const size_t bit = size_t(1) << q, n = s.size();
  const double r = 0.70710678118654752440;
  for (size_t i = 0; i < n; i++) if (!(i & bit)) { cd a = s[i], b = s[i | bit]; s[i] = r * (a + b); s[i | bit] = r * (a - b); }
}
static void cx(std::vector<cd>& s, int c, int t) {
  const size_t cb = size_t(1) << c, tb = size_t(1) << t, n = s.size();
  for (size_t i = 0; i < n; i++) if ((i & cb) && !(i & tb)) std::swap(s[i], s[i | tb]);
}
static void rz(std::vector<cd>& s, int q, double theta) {
  const size_t bit = size_t(1) << q, n = s.size();
  const cd p0 = std::polar(1.0, -theta / 2), p1 = std::polar(1.0, theta / 2);
  for (size_t i = 0; i < n; i++) s[i] *= (i & bit) ? p1 : p0;
}

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  std::vector<double> times;
  double nrm = 0;
  for (int r = 0; r < repeats; r++) {
    std::vector<cd> s(size_t(1) << n);
    s[0] = 1;
    auto t0 = std::chrono::steady_clock::now();
    for (int layer = 0; layer < 3; layer++) {
      for (int q = 0; q < n; q++) h(s, q);
      for (int q = 0; q + 1 < n; q++) cx(s, q, q + 1);
      for (int q = 0; q < n; q++) rz(s, q, 0.1 * (q + 1) + 0.3 * layer);
    }
    auto t1 = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    nrm = 0;
    for (auto& a : s) nrm += std::norm(a);
  }
  std::sort(times.begin(), times.end());
  std::printf("%.3f %.15f\n", times[times.size() / 2], nrm);
  return 0;
}
