// Unicode helpers for the extraction library.
//
// Everything after decoding works on std::u32string: one element per Unicode code point, so an index
// into the string is exactly the code point offset that luoshi.v1.Span records.
//
// FoldedText is the normalization step with its offset map. The folded string is what the matchers
// read: full-width digits, letters and punctuation become ASCII, ASCII letters become upper case,
// ideographic space becomes a space, and quote marks and zero-width characters are dropped (so that
// 专精特新“小巨人”企业 matches the alias 专精特新小巨人企业). Because characters may be dropped,
// `to_original[i]` gives the offset in the original text of folded character i; spans found in the
// folded text are mapped back with OriginalSpan() before they reach the output.
#ifndef LUOSHI_SERVICES_INGESTION_EXTRACT_TEXT_H_
#define LUOSHI_SERVICES_INGESTION_EXTRACT_TEXT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luoshi::extract {

// Lenient UTF-8 decoding: invalid bytes become U+FFFD, never fails.
std::u32string Utf8ToU32(std::string_view utf8);
std::string U32ToUtf8(std::u32string_view text);
void AppendUtf8(char32_t c, std::string* out);
// Strict check: well-formed UTF-8 with no overlongs, surrogates or values above U+10FFFF.
bool IsValidUtf8(std::string_view bytes);

// Character classes used by the matchers (on folded text).
inline bool IsAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }
inline bool IsAsciiLetter(char32_t c) { return (c >= U'A' && c <= U'Z') || (c >= U'a' && c <= U'z'); }
inline bool IsHan(char32_t c) { return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF); }
bool IsSpace(char32_t c);

// Folds one code point for matching; returns 0 when the character is dropped.
char32_t FoldChar(char32_t c);

struct FoldedText {
  std::u32string folded;
  std::vector<int> to_original;  // size folded.size() + 1; last entry = original length
  // Maps [begin, end) in folded text to the original text.
  std::pair<int, int> OriginalSpan(int begin, int end) const;
};
FoldedText Fold(std::u32string_view original);

// Small matching helpers over u32 strings.
inline bool StartsAt(std::u32string_view s, size_t pos, std::u32string_view word) {
  return pos <= s.size() && s.size() - pos >= word.size() && s.compare(pos, word.size(), word) == 0;
}
inline bool EndsWith(std::u32string_view s, std::u32string_view word) {
  return s.size() >= word.size() && s.compare(s.size() - word.size(), word.size(), word) == 0;
}
inline bool StartsWith(std::u32string_view s, std::u32string_view word) { return StartsAt(s, 0, word); }
inline bool Contains(std::u32string_view s, std::u32string_view word) {
  return s.find(word) != std::u32string_view::npos;
}
std::u32string_view Trim(std::u32string_view s);

}  // namespace luoshi::extract

#endif  // LUOSHI_SERVICES_INGESTION_EXTRACT_TEXT_H_
