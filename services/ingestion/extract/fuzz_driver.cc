// Runs LLVMFuzzerTestOneInput without libFuzzer (the main build uses g++): the seed documents, an
// HTML and a .docx-like input, then deterministic mutations (byte flips, insertions of interesting
// tokens, truncations, splices) for a bounded time or number of iterations. Exit status 0 means no
// crash; a hang is caught by the CTest timeout.
//
//   luoshi_extract_fuzz_driver [--seconds=20] [--iterations=20000] [FILE...]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

const char* kTokens[] = {"增长", "下降", "%", "个百分点", "亿元", "以上", "左右", "、", "和", "分别", "。", ",",
                         "\n", "一、", "(一)", "1.", "牵头领导:", "主要责任单位:", "完成时限:", "\t", "序号",
                         "百分之", "九成", "两位数", "〔2023〕", "PM2.5", "“", "”", "<p>", "</td>", "<script>",
                         "\xEF\xBB\xBF", "\xFF\xFE", "\xD6\xD0", "PK\x03\x04", "1-6月", "2至3个", "地区生产总值"};

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  long iterations = 20000;
  std::vector<std::string> corpus;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--seconds=", 0) == 0) seconds = std::stod(a.substr(10));
    else if (a.rfind("--iterations=", 0) == 0) iterations = std::stol(a.substr(13));
    else corpus.push_back(ReadFile(a));
  }
  std::string seeds = std::string(LUOSHI_SOURCE_DIR) + "/data/seeds/";
  for (const char* name : {"000_b2f02a40eca629cb.txt", "001_8037fc1a01c9f5f1.txt", "002_751be6e086fe62a8.txt",
                           "003_48cdf87d79a98d3c.txt", "004_bb9545a5710306fa.txt"}) {
    std::string text = ReadFile(seeds + name);
    // Small slices keep each iteration fast; the whole documents run once below.
    for (size_t off = 0; off + 1 < text.size(); off += 1500) corpus.push_back(text.substr(off, 3000));
    Run(text);
  }
  corpus.push_back("<html><head><meta charset=gbk></head><body><table><tr><td>序号</td><td>工作任务</td></tr>"
                   "<tr><td>1</td><td>地区生产总值增长5%</td></tr></table></body></html>");
  corpus.push_back(std::string("PK\x03\x04", 4) + std::string(64, '\0'));
  // Text converted from PDF: hard-wrapped lines, page numbers and a running head (normalise.cc).
  corpus.push_back(
      "桐湾市经济运行情况\n上半年，全市经济运行稳中有升，全市地区生产\n总值完成1,204.7亿元，同比增长5.3%，增\n"
      "速比一季度提高0.4个百分点，规模以上工业增\n加值同比增长8.1%，全社会用电量完成86.9亿\n\n— 1 —\n\n"
      "\f桐湾市经济运行情况\n千瓦时，同比增长6.7%，社会消费品零售总额完\n成456.8亿元，同比增长6.4%。\n\n— 2 —\n"
      "桐湾市经济运行情况\n");
  std::mt19937_64 rng(20240601);  // deterministic
  auto start = std::chrono::steady_clock::now();
  long n = 0;
  for (; n < iterations; ++n) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) break;
    std::string input = corpus[rng() % corpus.size()];
    int edits = 1 + rng() % 8;
    for (int k = 0; k < edits && !input.empty(); ++k) {
      size_t pos = rng() % input.size();
      switch (rng() % 6) {
        case 0: input[pos] = static_cast<char>(rng()); break;                             // byte flip
        case 1: input.insert(pos, kTokens[rng() % (sizeof(kTokens) / sizeof(*kTokens))]); break;
        case 2: input.resize(pos); break;                                                  // truncation
        case 3: input.erase(pos, 1 + rng() % 16); break;
        case 4: input.insert(pos, corpus[rng() % corpus.size()].substr(0, 200)); break;   // splice
        case 5: input.insert(pos, std::string(1 + rng() % 64, static_cast<char>(rng()))); break;
      }
    }
    Run(input);
  }
  std::printf("fuzz driver: %ld inputs without a crash\n", n);
  return 0;
}
