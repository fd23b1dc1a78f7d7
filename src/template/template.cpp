// Template::parse / Template::render: the public entry points, converting the JSON context into
// template values and running one Interp per render.
#include "template/template.h"

#include <nlohmann/json.hpp>

#include "template/interp.h"
#include "template/json.h"
#include "template/parser.h"

namespace uma::jinja {

namespace {

template <typename J>
Result<std::string> render_with(const Program& program, const J& context,
                                const RenderOptions& opts) {
  if (!context.is_object()) return error("template context must be a JSON object");
  std::vector<std::pair<std::string, Value>> vars;
  vars.reserve(context.size());
  for (auto it = context.begin(); it != context.end(); ++it) {
    auto v = from_json(it.value());
    if (!v.ok()) return v.status().with_context("context variable '" + it.key() + "'");
    vars.emplace_back(it.key(), std::move(v).value());
  }
  Interp interp(opts);
  return interp.render(program, std::move(vars));
}

}  // namespace

Result<Template> Template::parse(std::string_view source) {
  UMA_ASSIGN_OR_RETURN(std::unique_ptr<Program> program, parse_program(source));
  return Template(std::shared_ptr<const Program>(std::move(program)));
}

Result<std::string> Template::render(const nlohmann::ordered_json& context,
                                     const RenderOptions& opts) const {
  return render_with(*program_, context, opts);
}

Result<std::string> Template::render(const nlohmann::json& context,
                                     const RenderOptions& opts) const {
  return render_with(*program_, context, opts);
}

}  // namespace uma::jinja
