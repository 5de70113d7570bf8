// luoshi_extract_bench: accuracy of indicator extraction against the golden files, and throughput of
// the library on the seed corpus (single thread).
//
//   luoshi_extract_bench [--source=DIR] [--seconds=N]   figures for docs/benchmarks.md
//   luoshi_extract_bench --verbose                      also the observations that cost precision
//   luoshi_extract_bench --dump FILE                    the readable extraction of one file
//   luoshi_extract_bench --repeated_bytes[=MiB]         every byte value repeated 16 MiB (or MiB), read
//                                                       as text and as HTML: the slowest, and any over 2 s
//     [--bytes=0x30,0xFF]                               only these byte values
#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "services/common/catalog.h"
#include "services/ingestion/extract/extractor.h"
#include "services/ingestion/extract/golden.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string source = LUOSHI_SOURCE_DIR;
  double seconds = 3;
  std::string dump;
  bool verbose = false;
  int repeated_mib = 0;
  std::vector<int> byte_values;  // --bytes; empty = all 256
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--source=", 0) == 0) source = a.substr(9);
    else if (a.rfind("--seconds=", 0) == 0) seconds = std::stod(a.substr(10));
    else if (a == "--dump" && i + 1 < argc) dump = argv[++i];
    else if (a == "--verbose") verbose = true;
    else if (a == "--repeated_bytes") repeated_mib = 16;
    else if (a.rfind("--repeated_bytes=", 0) == 0) repeated_mib = std::stoi(a.substr(17));
    else if (a.rfind("--bytes=", 0) == 0) {
      std::stringstream list(a.substr(8));
      for (std::string item; std::getline(list, item, ',');) byte_values.push_back(std::stoi(item, nullptr, 0));
    }
  }
  auto catalog = luoshi::LoadCatalog(source + "/data/catalog.json");
  if (!catalog.ok()) {
    std::cerr << catalog.status() << "\n";
    return 1;
  }
  luoshi::extract::Extractor extractor(*catalog);
  if (repeated_mib > 0) {
    // Issue 21: no single repeated byte may hold a server thread for long (the HTML entity scan was
    // quadratic). Times every byte value as a .txt and as a .html document, one thread. The judgement is
    // on the processor time the extraction took (std::clock), so that a busy machine does not make a run
    // fail or pass by chance; the wall-clock time is printed beside it.
    int over = 0;
    double slowest = 0;
    std::string slowest_case;
    if (byte_values.empty()) {
      for (int b = 0; b < 256; ++b) byte_values.push_back(b);
    }
    for (const char* name : {"a.txt", "a.html"}) {
      for (int b : byte_values) {
        const std::string bytes(static_cast<size_t>(repeated_mib) << 20, static_cast<char>(b));
        luoshi::extract::ExtractOptions options;
        options.filename = name;
        const auto start = std::chrono::steady_clock::now();
        const std::clock_t cpu_start = std::clock();
        auto e = extractor.Extract(bytes, options);
        const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (cpu > slowest) {
          slowest = cpu;
          slowest_case = std::string(name) + " of byte " + std::to_string(b);
        }
        if (cpu > 2.0) {
          ++over;
          std::printf("over 2 s: %s of byte 0x%02X: %.2f s processor, %.2f s wall (%s)\n", name, b, cpu, wall,
                      e.ok() ? "extracted" : std::string(e.status().message().substr(0, 80)).c_str());
        }
      }
    }
    std::printf("%d MiB of each byte value as .txt and .html: slowest %s, %.2f s processor time; %d over 2 s\n",
                repeated_mib, slowest_case.c_str(), slowest, over);
    return over == 0 ? 0 : 1;
  }
  if (!dump.empty()) {
    luoshi::extract::ExtractOptions options;
    options.filename = dump;
    auto e = extractor.Extract(ReadFile(dump), options);
    if (!e.ok()) {
      std::cerr << e.status() << "\n";
      return 1;
    }
    std::cout << luoshi::extract::FormatExtractionText(*e);
    return 0;
  }
  // Accuracy against the golden files.
  auto cases = luoshi::extract::LoadGoldenCases(source);
  if (!cases.ok()) {
    std::cerr << cases.status() << "\n";
    return 1;
  }
  luoshi::extract::Score core, all, tasks;
  std::vector<std::string> corpus;
  for (const auto& c : *cases) {
    std::string bytes = ReadFile(c.input_path);
    corpus.push_back(bytes);
    luoshi::extract::ExtractOptions options;
    options.filename = c.input_path;
    auto e = extractor.Extract(bytes, options);
    if (!e.ok()) {
      std::cerr << c.input_path << ": " << e.status() << "\n";
      return 1;
    }
    auto r = luoshi::extract::CompareObservations(c, *e);
    core.Add(r.core);
    all.Add(r.all);
    luoshi::extract::Score task_score;
    luoshi::extract::CheckMetadataAndTasks(c, *e, &task_score);
    tasks.Add(task_score);
    std::printf("%-40s core P=%.3f R=%.3f (%d/%d/%d)   all-figures P=%.3f R=%.3f", c.name.c_str(),
                r.core.precision(), r.core.recall(), r.core.matched, r.core.extracted, r.core.expected,
                r.all.precision(), r.all.recall());
    if (task_score.expected > 0) {
      std::printf("   tasks right %d/%d (of %d found)", task_score.matched, task_score.expected,
                  task_score.extracted);
    }
    std::printf("\n");
    if (verbose) {
      for (const auto& x : r.extra) std::printf("  %s\n", x.c_str());
      for (const auto& x : r.unmatched) std::printf("  %s\n", x.c_str());
    }
  }
  std::printf("TOTAL core-catalog   precision %.3f  recall %.3f  (matched %d, extracted %d, expected %d)\n",
              core.precision(), core.recall(), core.matched, core.extracted, core.expected);
  std::printf("TOTAL all figures    precision %.3f  recall %.3f  (matched %d, extracted %d, expected %d)\n",
              all.precision(), all.recall(), all.matched, all.extracted, all.expected);
  std::printf("TOTAL tasks          %d of %d golden task lines right in every field (%d tasks found)\n",
              tasks.matched, tasks.expected, tasks.extracted);
  // Throughput.
  size_t bytes_per_pass = 0;
  for (const auto& b : corpus) bytes_per_pass += b.size();
  auto start = std::chrono::steady_clock::now();
  std::clock_t cpu_start = std::clock();
  size_t total = 0;
  int passes = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    for (const auto& b : corpus) {
      auto e = extractor.Extract(b, {});
      if (e.ok()) total += b.size();
    }
    ++passes;
  }
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  std::printf("throughput: %.1f MB/s single-threaded wall clock, %.1f MB/s per CPU-second "
              "(%d passes over %zu bytes, %.2f s wall, %.2f s CPU; %.1f documents/s wall)\n",
              total / elapsed / 1e6, total / cpu / 1e6, passes, bytes_per_pass, elapsed, cpu,
              passes * corpus.size() / elapsed);
  return 0;
}
