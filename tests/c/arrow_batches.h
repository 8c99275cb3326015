// Arrow record batches built by hand for the C ABI's tests: columns appended
// value by value into buffers the test owns, exported as the Arrow C data
// interface describes, and a stream over them. Independent of leadkit's own
// Arrow code (src/c_api/arrow.cc), so the tests check it from outside.
#ifndef LEADKIT_TESTS_C_ARROW_BATCHES_H_
#define LEADKIT_TESTS_C_ARROW_BATCHES_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "leadkit/leadkit.h"

namespace leadkit::testing {

// One column of a test batch: its format and buffers, owned here.
struct TestColumn {
  std::string name;
  std::string format;
  int64_t length = 0;
  int64_t offset = 0;
  std::vector<uint8_t> validity;  // bits; empty = no nulls
  std::vector<uint8_t> values;    // fixed-width values, or offsets
  std::vector<uint8_t> chars;     // utf8 characters; a string_view's one data buffer
  int64_t chars_size = 0;         // string_view: the data buffer's size (its last buffer)
  std::unique_ptr<TestColumn> dictionary;
  std::unique_ptr<TestColumn> list_values;  // a list's ("+l") values
  int64_t null_count = 0;

  // Arrow views, filled by Export.
  std::vector<const void*> buffers;
  ArrowSchema schema{};
  ArrowSchema dictionary_schema{};
  ArrowArray array{};
  ArrowSchema* child_schema = nullptr;
  ArrowArray* child_array = nullptr;
};

inline void NoRelease(ArrowSchema* s) { s->release = nullptr; }
inline void NoRelease(ArrowArray* a) { a->release = nullptr; }

template <typename T>
void Append(std::vector<uint8_t>& bytes, T value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  bytes.insert(bytes.end(), p, p + sizeof(T));
}

inline void SetBit(std::vector<uint8_t>& bits, int64_t i, bool on) {
  if (bits.size() * 8 <= static_cast<size_t>(i)) bits.resize(static_cast<size_t>(i) / 8 + 1, 0);
  if (on) bits[static_cast<size_t>(i) / 8] |= static_cast<uint8_t>(1u << (i % 8));
}

// A column under construction: values appended row by row, nulls with Null().
class ColumnBuilder {
 public:
  ColumnBuilder(std::string name, std::string format) {
    c_.name = std::move(name);
    c_.format = std::move(format);
    if (c_.format == "u" || c_.format == "+l") Append<int32_t>(c_.values, 0);
    if (c_.format == "+L") Append<int64_t>(c_.values, 0);
  }
  // `leading` rows of padding the array's offset skips, as a slice has.
  ColumnBuilder& Skip(int64_t leading) {
    for (int64_t i = 0; i < leading; ++i) Null();
    c_.offset = leading;
    c_.null_count = 0;
    return *this;
  }
  template <typename T>
  void Value(T v) {
    Valid(true);
    Append<T>(c_.values, v);
  }
  void Bool(bool v) {
    Valid(true);
    SetBit(c_.values, c_.length - 1, v);
  }
  void String(const std::string& s) {
    Valid(true);
    if (c_.format == "vu") {
      // A 16-byte view: the length, then the string inline (up to 12 bytes) or
      // its first 4 bytes, the data buffer (0) and the offset into it.
      std::vector<uint8_t> view(16, 0);
      const auto length = static_cast<int32_t>(s.size());
      std::memcpy(view.data(), &length, 4);
      if (s.size() <= 12) {
        std::memcpy(view.data() + 4, s.data(), s.size());
      } else {
        const auto offset = static_cast<int32_t>(c_.chars.size());
        std::memcpy(view.data() + 4, s.data(), 4);
        std::memcpy(view.data() + 12, &offset, 4);
        c_.chars.insert(c_.chars.end(), s.begin(), s.end());
      }
      c_.values.insert(c_.values.end(), view.begin(), view.end());
      return;
    }
    c_.chars.insert(c_.chars.end(), s.begin(), s.end());
    Append<int32_t>(c_.values, static_cast<int32_t>(c_.chars.size()));
  }
  void Null() {
    Valid(false);
    ++c_.null_count;
    if (c_.format == "+l") {  // the last offset again
      int32_t last;
      std::memcpy(&last, c_.values.data() + c_.values.size() - 4, 4);
      Append<int32_t>(c_.values, last);
    } else if (c_.format == "+L") {
      int64_t last;
      std::memcpy(&last, c_.values.data() + c_.values.size() - 8, 8);
      Append<int64_t>(c_.values, last);
    } else if (c_.format == "u") {
      Append<int32_t>(c_.values, static_cast<int32_t>(c_.chars.size()));
    } else if (c_.format == "vu") {
      c_.values.insert(c_.values.end(), 16, 0);
    } else if (c_.format == "b") {
      SetBit(c_.values, c_.length - 1, false);
    } else if (c_.format == "g" || c_.format == "l" || c_.format.starts_with("ts")) {
      Append<int64_t>(c_.values, 0);
    } else if (c_.format == "f" || c_.format == "i" || c_.format == "tdD") {
      Append<int32_t>(c_.values, 0);
    } else if (c_.format == "s") {
      Append<int16_t>(c_.values, 0);
    }
  }
  // A list<utf8> column of `lists` (nullopt = null), or with `large` a
  // large_list<utf8>, its array `skip` rows longer at the front (an offset,
  // as a slice has).
  static std::unique_ptr<TestColumn> List(
      std::string name,
      const std::vector<std::optional<std::vector<std::string>>>& lists,
      bool large = false, int64_t skip = 0) {
    ColumnBuilder list(std::move(name), large ? "+L" : "+l");
    list.Skip(skip);
    ColumnBuilder values("item", "u");
    int64_t end = 0;
    for (const auto& l : lists) {
      if (!l) {
        list.Null();
        continue;
      }
      for (const std::string& v : *l) values.String(v);
      end += static_cast<int64_t>(l->size());
      if (large) {
        list.Value<int64_t>(end);
      } else {
        list.Value<int32_t>(static_cast<int32_t>(end));
      }
    }
    std::unique_ptr<TestColumn> out = list.Build();
    out->list_values = values.Build();
    return out;
  }
  std::unique_ptr<TestColumn> Build() {
    c_.length -= c_.offset;
    return std::make_unique<TestColumn>(std::move(c_));
  }
  // A dictionary<int16, utf8> column of `strings` (nullopt = null).
  // Indices of the Arrow integer format `index_format`: "s" (int16) or "i"
  // (int32).
  static std::unique_ptr<TestColumn> Dictionary(
      std::string name, const std::vector<std::optional<std::string>>& strings,
      const std::string& index_format = "s") {
    ColumnBuilder indices(std::move(name), index_format);
    ColumnBuilder values("", "u");
    std::vector<std::string> seen;
    for (const auto& s : strings) {
      if (!s) {
        indices.Null();
        continue;
      }
      auto it = std::find(seen.begin(), seen.end(), *s);
      if (it == seen.end()) {
        seen.push_back(*s);
        values.String(*s);
        it = seen.end() - 1;
      }
      if (index_format == "i") {
        indices.Value<int32_t>(static_cast<int32_t>(it - seen.begin()));
      } else {
        indices.Value<int16_t>(static_cast<int16_t>(it - seen.begin()));
      }
    }
    std::unique_ptr<TestColumn> out = indices.Build();
    out->dictionary = values.Build();
    return out;
  }

 private:
  void Valid(bool valid) {
    SetBit(c_.validity, c_.length, valid);
    ++c_.length;
  }
  TestColumn c_;
};

inline void Export(TestColumn& c) {
  const bool has_nulls = c.null_count > 0;
  c.buffers = {has_nulls ? c.validity.data() : nullptr, c.values.data()};
  if (c.format == "u") c.buffers.push_back(c.chars.data());
  if (c.format == "vu") {
    c.chars_size = static_cast<int64_t>(c.chars.size());
    c.buffers.push_back(c.chars.data());
    c.buffers.push_back(&c.chars_size);
  }
  c.schema = ArrowSchema{.format = c.format.c_str(),
                         .name = c.name.c_str(),
                         .flags = ARROW_FLAG_NULLABLE,
                         .release = NoRelease};
  c.array = ArrowArray{.length = c.length,
                       .null_count = c.null_count,
                       .offset = c.offset,
                       .n_buffers = static_cast<int64_t>(c.buffers.size()),
                       .buffers = c.buffers.data(),
                       .release = NoRelease};
  if (c.dictionary != nullptr) {
    Export(*c.dictionary);
    c.schema.dictionary = &c.dictionary->schema;
    c.array.dictionary = &c.dictionary->array;
  }
  if (c.list_values != nullptr) {
    Export(*c.list_values);
    c.child_schema = &c.list_values->schema;
    c.child_array = &c.list_values->array;
    c.schema.n_children = 1;
    c.schema.children = &c.child_schema;
    c.array.n_children = 1;
    c.array.children = &c.child_array;
  }
}

// A stream over batches of columns held by the test.
class TestStream {
 public:
  void AddBatch(std::vector<std::unique_ptr<TestColumn>> columns) {
    batches_.push_back(std::move(columns));
  }
  ArrowArrayStream Stream() {
    for (auto& batch : batches_) {
      for (auto& c : batch) Export(*c);
    }
    ArrowArrayStream s{};
    s.get_schema = [](ArrowArrayStream* s, ArrowSchema* out) {
      auto* self = static_cast<TestStream*>(s->private_data);
      self->schema_children_.clear();
      for (auto& c : self->batches_.front()) self->schema_children_.push_back(&c->schema);
      *out = ArrowSchema{.format = "+s",
                         .name = "",
                         .n_children = static_cast<int64_t>(self->schema_children_.size()),
                         .children = self->schema_children_.data(),
                         .release = NoRelease};
      return 0;
    };
    s.get_next = [](ArrowArrayStream* s, ArrowArray* out) {
      auto* self = static_cast<TestStream*>(s->private_data);
      *out = ArrowArray{};
      if (self->next_ == self->batches_.size()) return 0;
      auto& batch = self->batches_[self->next_++];
      auto& children = self->array_children_.emplace_back();
      for (auto& c : batch) children.push_back(&c->array);
      *out = ArrowArray{.length = batch.front()->length,
                        .n_buffers = 1,
                        .n_children = static_cast<int64_t>(children.size()),
                        .buffers = self->no_validity_,
                        .children = children.data(),
                        .release = NoRelease};
      return 0;
    };
    s.get_last_error = [](ArrowArrayStream*) -> const char* { return nullptr; };
    s.release = [](ArrowArrayStream* s) {
      static_cast<TestStream*>(s->private_data)->released_ = true;
      s->release = nullptr;
    };
    s.private_data = this;
    return s;
  }
  bool released() const { return released_; }

 private:
  std::vector<std::vector<std::unique_ptr<TestColumn>>> batches_;
  std::vector<ArrowSchema*> schema_children_;
  std::deque<std::vector<ArrowArray*>> array_children_;
  const void* no_validity_[1] = {nullptr};
  size_t next_ = 0;
  bool released_ = false;
};

// The string at `i` of a utf8 array.
inline std::string LargeUtf8At(const ArrowArray& a, int64_t i) {
  const auto* offsets = static_cast<const int64_t*>(a.buffers[1]);
  const auto* chars = static_cast<const char*>(a.buffers[2]);
  return std::string(chars + offsets[a.offset + i],
                     static_cast<size_t>(offsets[a.offset + i + 1] - offsets[a.offset + i]));
}

inline std::string Utf8At(const ArrowArray& a, int64_t i) {
  const auto* offsets = static_cast<const int32_t*>(a.buffers[1]);
  const auto* chars = static_cast<const char*>(a.buffers[2]);
  return std::string(chars + offsets[a.offset + i],
                     static_cast<size_t>(offsets[a.offset + i + 1] - offsets[a.offset + i]));
}

}  // namespace leadkit::testing

#endif  // LEADKIT_TESTS_C_ARROW_BATCHES_H_
