// Module parameters: parsing insmod's "name=value ..." string against a module's table of
// parameter descriptors (int, uint, bool, charp), with Linux's rules, and formatting a
// parameter's value for display.
//
// Contract:
//   - Pure: no allocation, no locks, any context. The caller owns `args`, which is cut up
//     in place (quotes removed, words terminated): a charp parameter is left pointing
//     INTO it, so the caller keeps the buffer as long as the parameters are used (the
//     loader keeps a kernel-owned copy for the module's lifetime, as Linux does).
//   - All or nothing: parse_module_params first checks every word, and stores nothing
//     unless the whole string is valid. On error it returns false and writes one line
//     (no newline) into err, naming the parameter and the value:
//         unknown parameter 'x'            interval: 'abc' is not an int
//         interval: '4294967296' is out of range for int
//         verbose: 'maybe' is not a bool (1/0, y/n, Y/N, true/false)
//         interval: needs a value          (a bare word only sets a bool: flag = true)
//   - Syntax (Linux's parse_args): words separated by blanks; a word is name=value or a
//     bare name; double quotes group blanks in the value (name="two words") or around the
//     whole word ("name=two words"), and are removed. '-' and '_' are the same in names.
//     A name given twice: the last value wins. No backslash escapes.
//   - Values: int/uint are decimal or 0x hex (kernel/lib/cmdline's parse_int/parse_uint),
//     32-bit, overflow refused; uint takes no sign. bool: 1/0, y/n, Y/N, true/false.
//     charp: any text, "" included.
#pragma once

#include <cstddef>
#include <cstdint>

namespace quartz {

// The types, with the numbers modules/include/quartz/module.h's module_param emits.
enum ParamType : uint32_t { kParamInt = 0, kParamUint = 1, kParamBool = 2, kParamCharp = 3 };

// One parameter, laid out as module.h's struct quartz_param (the loader checks this).
// addr points at an int, an unsigned int, a bool or a char*.
struct ParamDesc {
  const char* name;
  void* addr;
  uint32_t type;  // ParamType
  uint32_t perm;  // Linux's sysfs mode (0444...); 0 = not shown
};

// A description (MODULE_PARM_DESC), laid out as module.h's struct quartz_param_desc.
struct ParamText {
  const char* name;
  const char* text;
};

// The longest params string the kernel takes (init_module's, the shell's), with its NUL.
constexpr size_t kParamsMax = 1024;
// The most words one string may hold.
constexpr size_t kParamsMaxWords = 32;

// Parses args (null or "" = nothing to do) against params[0, n) and stores the values.
bool parse_module_params(char* args, const ParamDesc* params, size_t n, char* err, size_t errlen);

// "int", "uint", "bool", "charp", or "?" for an unknown number.
const char* param_type_name(uint32_t type);
// The value as text (an int in decimal, a bool as Y/N as Linux's sysfs shows it, a charp
// as its string or "(null)"), cut to fit out (cap >= 1 bytes, always terminated).
void format_param_value(const ParamDesc& p, char* out, size_t cap);

}  // namespace quartz
