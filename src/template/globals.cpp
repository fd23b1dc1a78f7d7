// Global functions templates can call: Jinja's range / namespace / dict plus Hugging Face's
// raise_exception and strftime_now (formatting RenderOptions::now, C-locale names as glibc).
#include <cstdio>
#include <ctime>

#include "template/builtins.h"
#include "template/callable.h"
#include "template/interp.h"
#include "template/ops.h"

namespace uma::jinja {

namespace {

// Jinja's sandbox refuses ranges longer than this (jinja2.sandbox.MAX_RANGE).
constexpr int64_t kMaxRange = 100000;

Result<Value> g_range(Interp& interp, const Value&, CallArgs& args) {
  if (!args.kwargs.empty()) return error("range() takes no keyword arguments");
  if (args.args.empty()) return error("range expected at least 1 argument, got 0");
  if (args.args.size() > 3) {
    return error("range expected at most 3 arguments, got " + std::to_string(args.args.size()));
  }
  for (const Value& a : args.args) {
    if (!a.is_integral()) {
      return error("'" + type_name(a) + "' object cannot be interpreted as an integer");
    }
  }
  int64_t start = 0, stop, step = 1;
  if (args.args.size() == 1) {
    stop = args.args[0].as_int();
  } else {
    start = args.args[0].as_int();
    stop = args.args[1].as_int();
    if (args.args.size() == 3) step = args.args[2].as_int();
  }
  if (step == 0) return error("range() arg 3 must not be zero");
  const __int128 span =
      step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  const __int128 abs_step = step > 0 ? step : -static_cast<__int128>(step);
  const __int128 count = span <= 0 ? 0 : (span + abs_step - 1) / abs_step;
  if (count > kMaxRange) {
    return error("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
  }
  UMA_TRY(interp.charge(static_cast<uint64_t>(count)));
  std::vector<Value> out;
  out.reserve(static_cast<size_t>(count));
  for (__int128 i = 0, v = start; i < count; i++, v += step) {
    out.push_back(Value::integer(static_cast<int64_t>(v)));
  }
  return Value::list(std::move(out));
}

Result<Value> g_namespace(Interp& interp, const Value&, CallArgs& args) {
  auto ns = std::make_shared<Namespace>();
  if (args.args.size() > 1) {
    return error("namespace expected at most 1 positional argument, got " +
                 std::to_string(args.args.size()));
  }
  if (!args.args.empty()) {
    const Value& init = args.args[0];
    if (init.is_dict()) {
      for (const auto& [k, v] : init.dict().items()) {
        if (!k.is_string()) return error("namespace() keywords must be strings");
        ns->set(k.str(), v);
      }
    } else {
      return error("namespace() argument must be a dict, not " + type_name(init));
    }
  }
  for (const auto& [k, v] : args.kwargs) ns->set(k, v);
  if (ns->depth(kMaxDepth + 1) > kMaxDepth) return error("value nested too deeply");
  UMA_TRY(interp.track_namespace(ns));
  return Value::object(std::move(ns));
}

Result<Value> g_dict(Interp&, const Value&, CallArgs& args) {
  Dict d;
  if (args.args.size() > 1) {
    return error("dict expected at most 1 argument, got " + std::to_string(args.args.size()));
  }
  if (!args.args.empty()) {
    const Value& init = args.args[0];
    if (init.is_dict()) {
      d = init.dict();
    } else {
      UMA_ASSIGN_OR_RETURN(std::vector<Value> pairs, iterate(init));
      for (const Value& p : pairs) {
        UMA_ASSIGN_OR_RETURN(std::vector<Value> kv, iterate(p));
        if (kv.size() != 2) {
          return error("dictionary update sequence element has length " +
                       std::to_string(kv.size()) + "; 2 is required");
        }
        UMA_TRY(d.set(kv[0], kv[1]));
      }
    }
  }
  for (const auto& [k, v] : args.kwargs) d.set(std::string_view(k), v);
  return Value::dict(std::move(d));
}

Result<Value> g_raise_exception(Interp&, const Value&, CallArgs& args) {
  if (args.args.size() != 1 || !args.kwargs.empty()) {
    return error("raise_exception() takes exactly one argument (the message)");
  }
  return error(to_str(args.args[0]));
}

// ---- strftime ----

constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int day_of_year(const DateTime& t) {  // 1-based
  static constexpr int kCum[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  return kCum[t.month - 1] + t.day + (t.month > 2 && is_leap(t.year) ? 1 : 0);
}

int weekday(const DateTime& t) {  // 0 = Sunday
  const int64_t days = days_from_civil(t.year, t.month, t.day);
  return static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
}

// ISO 8601 week-based year and week number.
void iso_week(const DateTime& t, int* iso_year, int* week) {
  const int wday = (weekday(t) + 6) % 7;  // 0 = Monday
  const int yday = day_of_year(t) - 1;
  int w = (yday - wday + 10) / 7;
  int y = t.year;
  if (w < 1) {
    y--;
    const int prev_days = is_leap(y) ? 366 : 365;
    w = (yday + prev_days - wday + 10) / 7;
  } else {
    const int days = is_leap(y) ? 366 : 365;
    if (yday - wday + 3 >= days) {
      y++;
      w = 1;
    }
  }
  *iso_year = y;
  *week = w;
}

std::string strftime_dt(const DateTime& t, std::string_view fmt) {
  std::string out;
  for (size_t i = 0; i < fmt.size(); i++) {
    if (fmt[i] != '%' || i + 1 >= fmt.size()) {
      out += fmt[i];
      continue;
    }
    size_t j = i + 1;
    char flag = 0;
    if (fmt[j] == '-' || fmt[j] == '_' || fmt[j] == '0' || fmt[j] == '^') flag = fmt[j++];
    if (j < fmt.size() && (fmt[j] == 'E' || fmt[j] == 'O')) j++;  // C locale: same as plain
    if (j >= fmt.size()) {
      out.append(fmt.substr(i));
      break;
    }
    const char c = fmt[j];
    auto num = [&](int64_t v, int width, char padc = '0') {
      char buf[32];
      if (flag == '-') {
        std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
      } else if (flag == '_' || (padc == ' ' && flag != '0')) {
        std::snprintf(buf, sizeof buf, "%*lld", width, static_cast<long long>(v));
      } else {
        std::snprintf(buf, sizeof buf, "%0*lld", width, static_cast<long long>(v));
      }
      out += buf;
    };
    auto text = [&](std::string s) {
      if (flag == '^') {
        for (char& ch : s) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
      }
      out += s;
    };
    const int hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12;
    int iso_y, iso_w;
    switch (c) {
      case 'a':
        text(std::string(kDays[weekday(t)]).substr(0, 3));
        break;
      case 'A':
        text(kDays[weekday(t)]);
        break;
      case 'b':
      case 'h':
        text(std::string(kMonths[t.month - 1]).substr(0, 3));
        break;
      case 'B':
        text(kMonths[t.month - 1]);
        break;
      case 'c':
        out += strftime_dt(t, "%a %b %e %H:%M:%S %Y");
        break;
      case 'C':
        num(t.year / 100, 2);
        break;
      case 'd':
        num(t.day, 2);
        break;
      case 'D':
        out += strftime_dt(t, "%m/%d/%y");
        break;
      case 'e':
        num(t.day, 2, ' ');
        break;
      case 'f':
        num(t.microsecond, 6);
        break;
      case 'F':
        out += strftime_dt(t, "%Y-%m-%d");
        break;
      case 'g':
        iso_week(t, &iso_y, &iso_w);
        num(iso_y % 100, 2);
        break;
      case 'G':
        iso_week(t, &iso_y, &iso_w);
        num(iso_y, 1);
        break;
      case 'H':
        num(t.hour, 2);
        break;
      case 'I':
        num(hour12, 2);
        break;
      case 'j':
        num(day_of_year(t), 3);
        break;
      case 'k':
        num(t.hour, 2, ' ');
        break;
      case 'l':
        num(hour12, 2, ' ');
        break;
      case 'm':
        num(t.month, 2);
        break;
      case 'M':
        num(t.minute, 2);
        break;
      case 'n':
        out += '\n';
        break;
      case 'p':
        text(t.hour < 12 ? "AM" : "PM");
        break;
      case 'P':
        out += t.hour < 12 ? "am" : "pm";
        break;
      case 'r':
        out += strftime_dt(t, "%I:%M:%S %p");
        break;
      case 'R':
        out += strftime_dt(t, "%H:%M");
        break;
      case 's':
        num(days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 + t.minute * 60 +
                t.second,
            1);
        break;
      case 'S':
        num(t.second, 2);
        break;
      case 't':
        out += '\t';
        break;
      case 'T':
        out += strftime_dt(t, "%H:%M:%S");
        break;
      case 'u':
        num((weekday(t) + 6) % 7 + 1, 1);
        break;
      case 'U':
        num((day_of_year(t) - 1 + 7 - weekday(t)) / 7, 2);
        break;
      case 'V':
        iso_week(t, &iso_y, &iso_w);
        num(iso_w, 2);
        break;
      case 'w':
        num(weekday(t), 1);
        break;
      case 'W':
        num((day_of_year(t) - 1 + 7 - (weekday(t) + 6) % 7) / 7, 2);
        break;
      case 'x':
        out += strftime_dt(t, "%m/%d/%y");
        break;
      case 'X':
        out += strftime_dt(t, "%H:%M:%S");
        break;
      case 'y':
        num(t.year % 100, 2);
        break;
      case 'Y':
        num(t.year, 1);
        break;
      case 'z':
      case 'Z':
        break;  // a naive datetime has no zone: Python prints nothing
      case '%':
        out += '%';
        break;
      default:
        out.append(fmt.substr(i, j - i + 1));
        break;  // glibc leaves unknown ones as-is
    }
    i = j;
  }
  return out;
}

DateTime local_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::tm tm{};
  localtime_r(&ts.tv_sec, &tm);
  DateTime t;
  t.year = tm.tm_year + 1900;
  t.month = tm.tm_mon + 1;
  t.day = tm.tm_mday;
  t.hour = tm.tm_hour;
  t.minute = tm.tm_min;
  t.second = tm.tm_sec;
  t.microsecond = static_cast<int>(ts.tv_nsec / 1000);
  return t;
}

Result<Value> g_strftime_now(Interp& interp, const Value&, CallArgs& args) {
  if (args.args.size() != 1 || !args.kwargs.empty()) {
    return error("strftime_now() takes exactly one argument (the format)");
  }
  if (!args.args[0].is_string()) {
    return error("strftime() argument 1 must be str, not " + type_name(args.args[0]));
  }
  const DateTime now = interp.options().now ? *interp.options().now : local_now();
  return Value::string(strftime_dt(now, args.args[0].str()));
}

// jinja2.utils.Joiner: returns "" the first time it is called, then the separator.
class Joiner final : public Object {
 public:
  explicit Joiner(std::string sep) : sep_(std::move(sep)) {}
  std::string type_name() const override { return "Joiner"; }
  std::string qualified_name() const override { return "jinja2.utils.Joiner object"; }
  std::string repr(uint32_t) const override { return "<jinja2.utils.Joiner object>"; }
  bool callable() const override { return true; }
  Result<Value> call(Interp&, CallArgs& args) override {
    UMA_TRY(bind_args("joiner()", {}, args).status());
    if (!used_) {
      used_ = true;
      return Value::string("");
    }
    return Value::string(sep_);
  }

 private:
  std::string sep_;
  bool used_ = false;
};

// jinja2.utils.Cycler: .next() returns the items in turn; .current, .reset().
class Cycler final : public Object, public std::enable_shared_from_this<Cycler> {
 public:
  explicit Cycler(std::vector<Value> items) : items_(std::move(items)) {}
  std::string type_name() const override { return "Cycler"; }
  std::string qualified_name() const override { return "jinja2.utils.Cycler object"; }
  std::string repr(uint32_t) const override { return "<jinja2.utils.Cycler object>"; }
  std::optional<Value> attr(std::string_view name) const override {
    if (name == "current") return items_.empty() ? Value() : items_[pos_];
    if (name != "next" && name != "reset") return std::nullopt;
    auto self = std::const_pointer_cast<Cycler>(shared_from_this());
    const NativeFn fn = name == "next" ? &Cycler::next_fn : &Cycler::reset_fn;
    return Value::object(
        std::make_shared<NativeFunction>(std::string(name), fn, Value::object(self), "Cycler"));
  }
  void release() override { items_.clear(); }

 private:
  static Result<Value> next_fn(Interp&, const Value& self, CallArgs& args) {
    UMA_TRY(bind_args("cycler.next()", {}, args).status());
    auto* c = static_cast<Cycler*>(self.obj());
    if (c->items_.empty()) return Value();
    Value v = c->items_[c->pos_];
    c->pos_ = (c->pos_ + 1) % c->items_.size();
    return v;
  }
  static Result<Value> reset_fn(Interp&, const Value& self, CallArgs& args) {
    UMA_TRY(bind_args("cycler.reset()", {}, args).status());
    static_cast<Cycler*>(self.obj())->pos_ = 0;
    return Value::none();
  }
  std::vector<Value> items_;
  size_t pos_ = 0;
};

Result<Value> g_joiner(Interp& interp, const Value&, CallArgs& args) {
  UMA_ASSIGN_OR_RETURN(auto a, bind_args("joiner()", {"sep"}, args));
  auto j = std::make_shared<Joiner>(a[0] ? to_str(*a[0]) : ", ");
  UMA_TRY(interp.track_namespace(j));
  return Value::object(std::move(j));
}

Result<Value> g_cycler(Interp& interp, const Value&, CallArgs& args) {
  if (!args.kwargs.empty()) return error("cycler() takes no keyword arguments");
  if (args.args.empty()) return error("at least one item has to be provided");
  auto c = std::make_shared<Cycler>(args.args);
  UMA_TRY(interp.track_namespace(c));
  return Value::object(std::move(c));
}

struct GlobalDef {
  std::string_view name;
  NativeFn fn;
};

constexpr GlobalDef kGlobals[] = {
    {"cycler", g_cycler},
    {"dict", g_dict},
    {"joiner", g_joiner},
    {"namespace", g_namespace},
    {"raise_exception", g_raise_exception},
    {"range", g_range},
    {"strftime_now", g_strftime_now},
};

}  // namespace

std::optional<Value> find_global(std::string_view name) {
  for (const GlobalDef& g : kGlobals) {
    if (g.name == name) {
      return Value::object(std::make_shared<NativeFunction>(std::string(name), g.fn));
    }
  }
  return std::nullopt;
}

Result<DateTime> parse_datetime(std::string_view text) {
  DateTime t;
  int n = 0;
  const std::string s(text);
  const int got = std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &t.year, &t.month, &t.day, &n);
  auto bad = [&] {
    return error("invalid date-time '" + s +
                 "' (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS[.ffffff]])");
  };
  if (got != 3 || n != 10) return bad();
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return bad();
    pos++;
    int m = 0;
    if (std::sscanf(s.c_str() + pos, "%2d:%2d%n", &t.hour, &t.minute, &m) != 2 || m != 5) {
      return bad();
    }
    pos += m;
    if (pos < s.size() && s[pos] == ':') {
      int k = 0;
      if (std::sscanf(s.c_str() + pos, ":%2d%n", &t.second, &k) != 1 || k != 3) return bad();
      pos += k;
      if (pos < s.size() && s[pos] == '.') {
        pos++;
        int digits = 0;
        t.microsecond = 0;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && digits < 6) {
          t.microsecond = t.microsecond * 10 + (s[pos++] - '0');
          digits++;
        }
        if (digits == 0) return bad();
        for (; digits < 6; digits++) t.microsecond *= 10;
      }
    }
    if (pos != s.size()) return bad();
  }
  static constexpr int kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (t.year < 1 || t.month < 1 || t.month > 12 || t.day < 1 || t.day > kDaysIn[t.month - 1] ||
      (t.month == 2 && t.day == 29 && !is_leap(t.year)) || t.hour > 23 || t.minute > 59 ||
      t.second > 59 || t.hour < 0 || t.minute < 0 || t.second < 0) {
    return error("invalid date-time '" + s + "' (out of range)");
  }
  return t;
}

}  // namespace uma::jinja
