#include "services/ingestion/extract/text.h"

namespace luoshi::extract {

std::u32string Utf8ToU32(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    }
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp);
    i += len;
  }
  return out;
}

namespace {

// Writes the UTF-8 bytes of c at p (room for four), returns the end. Values that are no scalar value
// (surrogates, beyond U+10FFFF) become U+FFFD.
inline char* EncodeUtf8(char32_t c, char* p) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
  if (c < 0x80) {
    *p++ = static_cast<char>(c);
  } else if (c < 0x800) {
    *p++ = static_cast<char>(0xC0 | (c >> 6));
    *p++ = static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    *p++ = static_cast<char>(0xE0 | (c >> 12));
    *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (c & 0x3F));
  } else {
    *p++ = static_cast<char>(0xF0 | (c >> 18));
    *p++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    *p++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    *p++ = static_cast<char>(0x80 | (c & 0x3F));
  }
  return p;
}

}  // namespace

void AppendUtf8(char32_t c, std::string* out) {
  char bytes[4];
  out->append(bytes, EncodeUtf8(c, bytes) - bytes);
}

// Encodes into a buffer sized for the worst case and trims it: no capacity check per byte (this runs
// over the whole text and every sentence, quote and name of the output).
std::string U32ToUtf8(std::u32string_view text) {
  std::string out(text.size() * 4, '\0');
  char* begin = out.data();
  char* p = begin;
  for (char32_t c : text) p = EncodeUtf8(c, p);
  out.resize(static_cast<size_t>(p - begin));
  return out;
}

bool IsValidUtf8(std::string_view bytes) {
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    char32_t cp, min;
    if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool IsSpace(char32_t c) {
  return c == U' ' || c == U'\t' || c == 0x3000 || c == 0xA0 || c == U'\r' || c == U'\n' ||
         c == 0x2002 || c == 0x2003 || c == 0x2009;
}

char32_t FoldChar(char32_t c) {
  switch (c) {
    case 0x200B: case 0x200C: case 0x200D: case 0xFEFF: case 0x00AD:  // zero-width, soft hyphen
    case U'"': case U'\'': case 0x201C: case 0x201D: case 0x2018: case 0x2019:
    case 0x300C: case 0x300D: case 0x300E: case 0x300F: case 0xFF02: case 0xFF07:
      return 0;
    case 0x3000: case 0xA0: case 0x2002: case 0x2003: case 0x2009:
      return U' ';
    case 0x3002: return 0x3002;  // 。 stays (a sentence end, not ASCII '.')
    case 0x2014: return 0x2014;
    default: break;
  }
  if (c >= 0xFF01 && c <= 0xFF5E) c = c - 0xFF01 + 0x21;  // full-width ASCII block
  if (c >= U'a' && c <= U'z') c = c - U'a' + U'A';
  return c;
}

FoldedText Fold(std::u32string_view original) {
  FoldedText f;
  f.folded.reserve(original.size());
  f.to_original.reserve(original.size() + 1);
  for (size_t i = 0; i < original.size(); ++i) {
    char32_t c = FoldChar(original[i]);
    if (c == 0) continue;
    f.folded.push_back(c);
    f.to_original.push_back(static_cast<int>(i));
  }
  f.to_original.push_back(static_cast<int>(original.size()));
  return f;
}

std::pair<int, int> FoldedText::OriginalSpan(int begin, int end) const {
  if (begin < 0) begin = 0;
  if (end > static_cast<int>(folded.size())) end = static_cast<int>(folded.size());
  if (end <= begin) {
    int b = to_original[begin];
    return {b, b};
  }
  return {to_original[begin], to_original[end - 1] + 1};
}

std::u32string_view Trim(std::u32string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace luoshi::extract
