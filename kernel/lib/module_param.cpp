// Module parameters: the parser of insmod's params string and the value formatter
// (see module_param.h for the rules).
#include "kernel/lib/module_param.h"

#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

namespace quartz {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Linux's parameq: '-' and '_' are the same character in a parameter's name.
bool name_eq(const char* a, const char* b) {
  for (;; ++a, ++b) {
    const char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
    if (x != y) return false;
    if (!x) return true;
  }
}

struct Word {
  const char* name;
  const char* value;  // null for a bare name
};

// Cuts the next word out of *cursor (Linux's next_arg): quotes are removed and the word
// is terminated in place; the first '=' splits name from value. Returns false at the end,
// or with *unterminated set.
bool next_word(char** cursor, Word* w, bool* unterminated) {
  char* s = *cursor;
  while (is_blank(*s)) ++s;
  *cursor = s;
  if (!*s) return false;
  char* const start = s;
  char* out = s;
  char* eq = nullptr;
  bool in_quote = false;
  for (; *s && (in_quote || !is_blank(*s)); ++s) {
    if (*s == '"') {
      in_quote = !in_quote;
      continue;
    }
    if (*s == '=' && !eq) eq = out;
    *out++ = *s;
  }
  if (in_quote) {
    *unterminated = true;
    return false;
  }
  *cursor = *s ? s + 1 : s;  // before terminating: out may be s
  *out = 0;
  w->name = start;
  w->value = nullptr;
  if (eq) {
    *eq = 0;
    w->value = eq + 1;
  }
  return true;
}

// A sign, then decimal or 0x hex digits: what an out-of-range number looks like.
bool looks_numeric(const char* s) {
  if (*s == '+' || *s == '-') ++s;
  bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
  if (hex) s += 2;
  if (!*s) return false;
  for (; *s; ++s) {
    const bool dec = *s >= '0' && *s <= '9';
    const bool hx = (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F');
    if (!dec && !(hex && hx)) return false;
  }
  return true;
}

bool parse_bool(const char* s, bool* out) {
  static const char* const yes[] = {"1", "y", "Y", "true"};
  static const char* const no[] = {"0", "n", "N", "false"};
  for (const char* y : yes)
    if (str_eq(s, y)) return *out = true, true;
  for (const char* n : no)
    if (str_eq(s, n)) return *out = false, true;
  return false;
}

union Value {
  int32_t i;
  uint32_t u;
  bool b;
  char* p;
};

// Checks one word's value against its parameter; 0 and *v set, or a message in err.
bool check_value(const ParamDesc& p, const Word& w, Value* v, char* err, size_t errlen) {
  if (!w.value) {
    if (p.type == kParamBool) return v->b = true, true;  // a bare flag, as Linux
    snformat(err, errlen, "%s: needs a value", p.name);
    return false;
  }
  const char* s = w.value;
  switch (p.type) {
    case kParamInt: {
      long long x;
      if (parse_int(s, &x) && x >= INT32_MIN && x <= INT32_MAX) return v->i = int32_t(x), true;
      if (looks_numeric(s))
        snformat(err, errlen, "%s: '%s' is out of range for an int", p.name, s);
      else
        snformat(err, errlen, "%s: '%s' is not an int", p.name, s);
      return false;
    }
    case kParamUint: {
      unsigned long long x;
      if (parse_uint(s, &x) && x <= UINT32_MAX) return v->u = uint32_t(x), true;
      if (looks_numeric(s) && *s != '-' && *s != '+')
        snformat(err, errlen, "%s: '%s' is out of range for a uint", p.name, s);
      else
        snformat(err, errlen, "%s: '%s' is not a uint", p.name, s);
      return false;
    }
    case kParamBool:
      if (parse_bool(s, &v->b)) return true;
      snformat(err, errlen, "%s: '%s' is not a bool (1/0, y/n, Y/N, true/false)", p.name, s);
      return false;
    case kParamCharp:
      v->p = const_cast<char*>(s);  // points into the caller's buffer
      return true;
    default:
      snformat(err, errlen, "%s: unknown parameter type %u", p.name, unsigned(p.type));
      return false;
  }
}

}  // namespace

bool parse_module_params(char* args, const ParamDesc* params, size_t n, char* err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  char dummy[1];
  if (!err || !errlen) err = dummy, errlen = sizeof dummy;
  if (!args) return true;
  struct Staged {
    const ParamDesc* p;
    Value v;
  } staged[kParamsMaxWords];
  size_t count = 0;
  char* cursor = args;
  Word w;
  bool unterminated = false;
  bool ok = true;
  while (ok && next_word(&cursor, &w, &unterminated)) {
    const ParamDesc* p = nullptr;
    for (size_t i = 0; i < n && !p; ++i)
      if (params[i].name && name_eq(params[i].name, w.name)) p = &params[i];
    if (count == kParamsMaxWords) {
      snformat(err, errlen, "too many parameters (at most %u)", unsigned(kParamsMaxWords));
      ok = false;
    } else if (!p) {
      snformat(err, errlen, "unknown parameter '%s'", w.name);
      ok = false;
    } else {
      staged[count].p = p;
      ok = check_value(*p, w, &staged[count].v, err, errlen);
      ++count;
    }
  }
  if (ok && unterminated) {
    snformat(err, errlen, "unterminated quote");
    ok = false;
  }
  if (!ok) {
    make_printable(err);
    return false;
  }
  for (size_t i = 0; i < count; ++i) {  // all valid: store, in order (the last one wins)
    const ParamDesc& p = *staged[i].p;
    const Value& v = staged[i].v;
    switch (p.type) {
      case kParamInt:
        *static_cast<int32_t*>(p.addr) = v.i;
        break;
      case kParamUint:
        *static_cast<uint32_t*>(p.addr) = v.u;
        break;
      case kParamBool:
        *static_cast<bool*>(p.addr) = v.b;
        break;
      case kParamCharp:
        *static_cast<char**>(p.addr) = v.p;
        break;
    }
  }
  return true;
}

const char* param_type_name(uint32_t type) {
  switch (type) {
    case kParamInt:
      return "int";
    case kParamUint:
      return "uint";
    case kParamBool:
      return "bool";
    case kParamCharp:
      return "charp";
  }
  return "?";
}

void format_param_value(const ParamDesc& p, char* out, size_t cap) {
  switch (p.type) {
    case kParamInt:
      snformat(out, cap, "%d", int(*static_cast<const int32_t*>(p.addr)));
      break;
    case kParamUint:
      snformat(out, cap, "%u", unsigned(*static_cast<const uint32_t*>(p.addr)));
      break;
    case kParamBool:
      snformat(out, cap, "%s", *static_cast<const bool*>(p.addr) ? "Y" : "N");
      break;
    case kParamCharp:
      snformat(out, cap, "%s", *static_cast<char* const*>(p.addr));
      break;
    default:
      snformat(out, cap, "?");
      break;
  }
  make_printable(out);
}

}  // namespace quartz
