#include "services/ingestion/extract/decode.h"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "services/ingestion/extract/text.h"

namespace luoshi::extract {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsGbCharset(std::string_view cs) {
  return cs == "gb2312" || cs == "gbk" || cs == "gb18030" || cs == "x-gbk" || cs == "cp936" ||
         cs == "windows-936" || cs == "euc-cn";
}

// Runs iconv from `from` to `to`; on an invalid or incomplete sequence emits `replacement` and skips
// one input byte, and then every byte after it that `never_starts` a character of `from` (one
// replacement each, without asking iconv: 16 MiB of 0xFF cost two iconv calls a byte).
std::string Convert(std::string_view in, const char* from, const char* to, std::string_view replacement,
                    bool (*never_starts)(unsigned char) = nullptr) {
  std::string out;
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return out;
  // Chinese text: two GB18030 bytes become three UTF-8 bytes. (Reserving for the worst case, three output
  // bytes per input byte, made no measured difference even on runs of 0xFF.)
  out.reserve(in.size() + in.size() / 2 + 16);
  char* src = const_cast<char*>(in.data());
  size_t src_left = in.size();
  char buf[4096];
  while (src_left > 0) {
    char* dst = buf;
    size_t dst_left = sizeof(buf);
    size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
    out.append(buf, dst - buf);
    if (r == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ or EINVAL: skip one byte and reset the converter state.
      do {
        out.append(replacement);
        ++src;
        --src_left;
      } while (src_left > 0 && never_starts != nullptr && never_starts(static_cast<unsigned char>(*src)));
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
    }
  }
  char* dst = buf;
  size_t dst_left = sizeof(buf);
  iconv(cd, nullptr, nullptr, &dst, &dst_left);
  out.append(buf, dst - buf);
  iconv_close(cd);
  return out;
}

std::string Utf16ToUtf8(std::string_view bytes, bool little_endian) {
  std::string out;
  size_t i = 0;
  auto unit = [&](size_t k) -> char32_t {
    unsigned char a = bytes[k], b = bytes[k + 1];
    return little_endian ? (a | (b << 8)) : ((a << 8) | b);
  };
  while (i + 1 < bytes.size()) {
    char32_t u = unit(i);
    i += 2;
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < bytes.size()) {
      char32_t lo = unit(i);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        i += 2;
        AppendUtf8(0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), &out);
        continue;
      }
    }
    AppendUtf8(u, &out);
  }
  return out;
}

bool EndsWithCi(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return Lower(s.substr(s.size() - suffix.size())) == suffix;
}

}  // namespace

std::string Gb18030ToUtf8(std::string_view bytes) {
  // GB18030 characters start with an ASCII byte or 0x81-0xFE; 0x80 and 0xFF start none.
  return Convert(bytes, "GB18030", "UTF-8", "\xEF\xBF\xBD", +[](unsigned char c) { return c == 0x80 || c == 0xFF; });
}

std::string Utf8ToGb18030(std::string_view utf8) { return Convert(utf8, "UTF-8", "GB18030", ""); }

std::string DeclaredHtmlCharset(std::string_view bytes) {
  std::string head = Lower(bytes.substr(0, std::min<size_t>(bytes.size(), 4096)));
  size_t pos = 0;
  while ((pos = head.find("charset", pos)) != std::string::npos) {
    size_t i = pos + 7;
    while (i < head.size() && (head[i] == ' ' || head[i] == '=' || head[i] == '"' || head[i] == '\''))
      ++i;
    size_t j = i;
    while (j < head.size() && (std::isalnum(static_cast<unsigned char>(head[j])) || head[j] == '-' ||
                               head[j] == '_'))
      ++j;
    if (j > i) return head.substr(i, j - i);
    pos = j;
  }
  return "";
}

DecodedText DecodeBytes(std::string_view bytes, std::string_view declared) {
  if (bytes.size() >= 3 && bytes.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    return {std::string(bytes.substr(3)), "UTF-8"};
  }
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xFE) {
    return {Utf16ToUtf8(bytes.substr(2), true), "UTF-16LE"};
  }
  if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFE &&
      static_cast<unsigned char>(bytes[1]) == 0xFF) {
    return {Utf16ToUtf8(bytes.substr(2), false), "UTF-16BE"};
  }
  if (bytes.size() >= 4 && bytes.compare(0, 4, "\x84\x31\x95\x33") == 0) {  // GB18030 BOM
    return {Gb18030ToUtf8(bytes.substr(4)), "GB18030"};
  }
  std::string cs = Lower(declared);
  if (IsGbCharset(cs) && !IsValidUtf8(bytes)) return {Gb18030ToUtf8(bytes), "GB18030"};
  if (IsValidUtf8(bytes)) return {std::string(bytes), "UTF-8"};
  return {Gb18030ToUtf8(bytes), "GB18030"};
}

std::string NormalizeNewlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

v1::SourceFormat DetectFormat(std::string_view bytes, std::string_view filename,
                              std::string_view content_type) {
  std::string ct = Lower(content_type);
  if (bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0) return v1::SOURCE_FORMAT_DOCX;
  if (EndsWithCi(filename, ".docx") || ct.find("wordprocessingml") != std::string::npos) {
    return v1::SOURCE_FORMAT_DOCX;
  }
  for (std::string_view ext : {".pdf", ".doc", ".xls", ".xlsx", ".ppt", ".pptx", ".png", ".jpg",
                               ".jpeg", ".gif", ".zip", ".rar", ".wps"}) {
    if (EndsWithCi(filename, ext)) return v1::SOURCE_FORMAT_UNSPECIFIED;
  }
  if (bytes.size() >= 4 && (bytes.compare(0, 4, "%PDF") == 0 ||
                            bytes.compare(0, 4, "\xD0\xCF\x11\xE0") == 0)) {
    return v1::SOURCE_FORMAT_UNSPECIFIED;
  }
  bool utf16 = bytes.size() >= 2 && ((static_cast<unsigned char>(bytes[0]) == 0xFF &&
                                      static_cast<unsigned char>(bytes[1]) == 0xFE) ||
                                     (static_cast<unsigned char>(bytes[0]) == 0xFE &&
                                      static_cast<unsigned char>(bytes[1]) == 0xFF));
  if (!utf16) {
    // Text never holds NUL or many other control bytes.
    size_t sample = std::min<size_t>(bytes.size(), 64 * 1024);
    size_t controls = 0;
    for (size_t i = 0; i < sample; ++i) {
      unsigned char c = bytes[i];
      if (c == 0) return v1::SOURCE_FORMAT_UNSPECIFIED;
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') ++controls;
    }
    if (controls * 100 > sample + 100) return v1::SOURCE_FORMAT_UNSPECIFIED;
  }
  if (ct.find("html") != std::string::npos || EndsWithCi(filename, ".html") ||
      EndsWithCi(filename, ".htm") || EndsWithCi(filename, ".shtml")) {
    return v1::SOURCE_FORMAT_HTML;
  }
  std::string head = Lower(bytes.substr(0, std::min<size_t>(bytes.size(), 2048)));
  for (const char* tag : {"<!doctype html", "<html", "<body", "<head", "<meta ", "<div", "<p>", "<table"}) {
    if (head.find(tag) != std::string::npos) return v1::SOURCE_FORMAT_HTML;
  }
  return v1::SOURCE_FORMAT_TEXT;
}

}  // namespace luoshi::extract
