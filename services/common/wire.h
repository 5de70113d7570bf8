// Protocol-buffer wire format, written by hand for read paths that answer from stored bytes: the
// indicator service keeps observations (the task service, task definitions) serialized, so a response can
// be assembled from those bytes without decoding each message and encoding it again. Only what the read path
// needs: varints, tags and length-delimited fields (strings, bytes, embedded messages). Decoding the result
// with the generated classes gives the same messages as building them field by field (the wire_test checks
// this).
#ifndef LUOSHI_SERVICES_COMMON_WIRE_H_
#define LUOSHI_SERVICES_COMMON_WIRE_H_

#include <cstdint>
#include <string>

#include "google/protobuf/message_lite.h"

namespace luoshi::wire {

inline void AppendVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Wire types: 0 varint, 2 length-delimited.
inline void AppendTag(int field, int wire_type, std::string* out) {
  AppendVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire_type), out);
}

// The tag and length of a length-delimited field whose `size` payload bytes the caller appends next.
inline void AppendBytesHeader(int field, size_t size, std::string* out) {
  AppendTag(field, 2, out);
  AppendVarint(size, out);
}
// Bytes a length-delimited field with a `size`-byte payload takes (for writing a message's header before
// its fields, without building it in a separate string first).
inline size_t BytesFieldSize(int field, size_t size) {
  return VarintSize(static_cast<uint64_t>(field) << 3) + VarintSize(size) + size;
}

inline void AppendBytesField(int field, const char* data, size_t size, std::string* out) {
  AppendBytesHeader(field, size, out);
  out->append(data, size);
}
inline void AppendBytesField(int field, const std::string& bytes, std::string* out) {
  AppendBytesField(field, bytes.data(), bytes.size(), out);
}

// An int64/int32 field (proto3: nothing when zero). Negative values take ten bytes, as in protobuf.
inline void AppendIntField(int field, int64_t v, std::string* out) {
  if (v == 0) return;
  AppendTag(field, 0, out);
  AppendVarint(static_cast<uint64_t>(v), out);
}

inline void AppendMessageField(int field, const google::protobuf::MessageLite& m, std::string* out) {
  AppendBytesHeader(field, m.ByteSizeLong(), out);
  m.AppendToString(out);
}

// A google.protobuf.Timestamp field for Unix microseconds (nanos never negative, as TimeUtil does).
inline void AppendTimestampField(int field, int64_t micros, std::string* out) {
  int64_t seconds = micros / 1000000;
  int64_t rest = micros % 1000000;
  if (rest < 0) {
    seconds -= 1;
    rest += 1000000;
  }
  std::string ts;
  AppendIntField(1, seconds, &ts);
  AppendIntField(2, rest * 1000, &ts);
  AppendBytesField(field, ts, out);
}

}  // namespace luoshi::wire

#endif  // LUOSHI_SERVICES_COMMON_WIRE_H_
