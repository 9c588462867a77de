// printf onto the end of a string: how the jobs render their reports (the front ends print or return them).
#pragma once
#include <cstdarg>
#include <cstdio>
#include <string>

namespace fwmc::jobs {

inline void appendf(std::string& s, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
inline void appendf(std::string& s, const char* fmt, ...) {
  va_list ap, again;
  va_start(ap, fmt);
  va_copy(again, ap);
  const int n = std::vsnprintf(nullptr, 0, fmt, ap);
  va_end(ap);
  if (n > 0) {
    const std::size_t at = s.size();
    s.resize(at + static_cast<std::size_t>(n) + 1);
    std::vsnprintf(&s[at], static_cast<std::size_t>(n) + 1, fmt, again);
    s.resize(at + static_cast<std::size_t>(n));
  }
  va_end(again);
}

}  // namespace fwmc::jobs
