// UTF-8 validity, for text that arrives from outside (identity claims, metadata) and must never reach
// storage malformed: a stored name that is not UTF-8 makes every later protobuf read of its row fail.
#ifndef LUOSHI_SERVICES_COMMON_UTF8_H_
#define LUOSHI_SERVICES_COMMON_UTF8_H_

#include <cstddef>
#include <cstdint>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace luoshi {

// Structurally valid UTF-8: no stray continuation bytes, no overlong forms, no surrogates, nothing
// above U+10FFFF.
inline bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += static_cast<size_t>(n) + 1;
  }
  return true;
}

// The caller's text as an error message quotes it: in quotes, whole up to 200 bytes, else its first 200
// bytes (cut at a character boundary), an ellipsis and its length. A status message travels as gRPC
// metadata, which a client refuses beyond a few KiB: quoting a long input whole would turn the answer
// into RESOURCE_EXHAUSTED (and can cost the caller its connection).
inline std::string QuoteInput(absl::string_view text) {
  constexpr size_t kMaxQuoted = 200;
  if (text.size() <= kMaxQuoted) return absl::StrCat("\"", text, "\"");
  size_t cut = kMaxQuoted;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return absl::StrCat("\"", text.substr(0, cut), "…\" (", text.size(), " bytes)");
}

}  // namespace luoshi

#endif  // LUOSHI_SERVICES_COMMON_UTF8_H_
