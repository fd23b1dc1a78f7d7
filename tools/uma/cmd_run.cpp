// uma run: load a model, prefill the prompt, stream generated text to stdout. Timing goes to
// stderr at the end (prompt tokens/s, generation tokens/s, time to first token). Without -p and
// with a terminal on stdin it becomes an interactive session (plain continuation for now; chat
// templates arrive with the server).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "model/context.h"
#include "model/model.h"
#include "plan/machines.h"
#include "plan/plan.h"
#include "sampling/sampler.h"

namespace uma::cli {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct RunOptions {
  std::string model;
  std::optional<std::string> prompt;
  int64_t n_predict = -1;
  int64_t n_ctx = 0;
  int32_t n_threads = 0;
  std::string kv_type = "f16";
  bool ignore_eos = false;
  bool no_bos = false;
  bool special = false;
  sampling::Params sp;
};

struct Stats {
  int64_t n_prompt = 0, n_gen = 0;
  double prompt_s = 0, gen_s = 0, ttft_s = 0;
};

// Generate up to n_predict tokens after `prompt` has been decoded; prints text as it arrives.
Status generate(Context& ctx, const std::vector<TokenId>& prompt, const RunOptions& o,
                sampling::Chain& chain, Stats& st) {
  const Tokenizer& tok = ctx.model().tokenizer();
  const auto t0 = Clock::now();
  auto logits = ctx.decode(prompt);
  if (!logits.ok()) return logits.status();
  for (TokenId t : prompt) chain.accept(t);
  st.n_prompt += (int64_t)prompt.size();
  st.prompt_s += seconds_since(t0);

  const bool after_bos = prompt.size() == 1 && prompt[0] == tok.bos();
  StreamDecoder dec(tok, after_bos);
  const auto tg0 = Clock::now();
  for (int64_t i = 0; o.n_predict < 0 || i < o.n_predict; i++) {
    const TokenId next = chain.sample(*logits);
    chain.accept(next);
    if (st.n_gen == 0 && i == 0) st.ttft_s = seconds_since(t0);
    if (!o.ignore_eos && tok.is_eog(next)) break;
    const std::string text = dec.push(next);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    st.n_gen++;
    if (ctx.n_past() >= ctx.n_ctx()) {
      std::fprintf(stderr, "\numa run: context full (%lld tokens); stopping\n", (long long)ctx.n_ctx());
      break;
    }
    if (o.n_predict >= 0 && i + 1 >= o.n_predict) break;  // no need to decode the last token
    const TokenId one[1] = {next};
    logits = ctx.decode(one);
    if (!logits.ok()) return logits.status();
  }
  const std::string rest = dec.flush();
  std::fwrite(rest.data(), 1, rest.size(), stdout);
  std::fflush(stdout);
  st.gen_s += seconds_since(tg0);
  return Status::ok();
}

void print_stats(const Stats& st, int32_t threads) {
  std::fprintf(stderr,
               "\numa run: prompt %lld tokens, %.1f tokens/s | generation %lld tokens, %.1f tokens/s | "
               "time to first token %.1f ms | %d threads\n",
               (long long)st.n_prompt, st.prompt_s > 0 ? st.n_prompt / st.prompt_s : 0.0,
               (long long)st.n_gen, st.gen_s > 0 ? st.n_gen / st.gen_s : 0.0, st.ttft_s * 1e3, threads);
}

// The context to allocate, from the planner (src/plan) and this machine's available memory.
Result<int64_t> choose_context(const Model& m, const RunOptions& o, DType kv_type) {
  const plan::PlanInput in{.model = {}, .n_parallel = 1, .kv_type = kv_type, .n_batch = 512,
                           .n_threads = o.n_threads > 0 ? o.n_threads : ThreadPool::physical_cores(),
                           .suggest_kv_quant = false};
  auto choice = plan::choose_local_context(
      m.file(), in, o.n_ctx > 0 ? std::optional<int64_t>(o.n_ctx) : std::nullopt);
  if (!choice.ok()) return choice.status();
  if (o.n_ctx == 0) std::fprintf(stderr, "uma run: %s\n", choice->reason.c_str());
  return choice->n_ctx;
}

int fail(const Status& st) {
  std::fprintf(stderr, "uma run: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int cmd_run(int argc, char** argv) {
  RunOptions o;
  CLI::App app{"Generate text with a GGUF model", "uma run"};
  app.add_option("-m,--model", o.model, "GGUF model file")->required();
  app.add_option("-p,--prompt", o.prompt, "prompt text (omit for an interactive session on a terminal)");
  app.add_option("-n,--n-predict", o.n_predict, "tokens to generate (-1: until end of text or context full)");
  app.add_option("-c,--ctx-size", o.n_ctx, "context size in tokens (0: the model's training context)");
  app.add_option("-t,--threads", o.n_threads, "threads (default: physical cores)");
  app.add_option("--temp", o.sp.temp, "temperature (0: greedy)");
  app.add_option("--top-k", o.sp.top_k, "top-k (0: off)");
  app.add_option("--top-p", o.sp.top_p, "top-p (1: off)");
  app.add_option("--min-p", o.sp.min_p, "min-p (0: off)");
  app.add_option("--repeat-penalty", o.sp.repeat_penalty, "repetition penalty (1: off)");
  app.add_option("--repeat-last-n", o.sp.penalty_last_n, "tokens the penalties look back over");
  app.add_option("--frequency-penalty", o.sp.frequency_penalty, "frequency penalty (0: off)");
  app.add_option("--presence-penalty", o.sp.presence_penalty, "presence penalty (0: off)");
  app.add_option("--seed", o.sp.seed, "random seed (same seed and prompt give the same text)");
  app.add_option("--kv-type", o.kv_type, "KV cache type: f16 or f32")->check(CLI::IsMember({"f16", "f32"}));
  app.add_flag("--ignore-eos", o.ignore_eos, "keep generating after an end-of-text token");
  app.add_flag("--no-bos", o.no_bos, "do not add the BOS token to the prompt");
  app.add_flag("--special", o.special, "parse special tokens (e.g. <|im_start|>) in the prompt");
  if (auto rc = parse_args(app, argc, argv, "run")) return *rc;
  if (Status st = sampling::validate(o.sp); !st.is_ok()) return fail(st);
  if (o.n_ctx < 0) return fail(error("--ctx-size must be >= 0"));
  if (o.n_threads < 0) return fail(error("--threads must be >= 0"));

  auto model = Model::load(o.model);
  if (!model.ok()) return fail(model.status());
  const Model& m = **model;
  const DType kv_type = o.kv_type == "f32" ? DType::F32 : DType::F16;
  // Plan memory before allocating: the largest context that fits (or the requested one), or a
  // refusal that says what to change — never an out-of-memory half way.
  auto n_ctx = choose_context(m, o, kv_type);
  if (!n_ctx.ok()) return fail(n_ctx.status());
  ContextParams cp{.n_ctx = *n_ctx, .n_threads = o.n_threads, .kv_type = kv_type};
  auto ctx = Context::create(m, cp);
  if (!ctx.ok()) return fail(ctx.status());
  auto chain = sampling::Chain::make_default(o.sp);
  const Tokenizer& tok = m.tokenizer();
  Stats st;

  const bool interactive = !o.prompt && isatty(STDIN_FILENO);
  if (!interactive) {
    std::string prompt;
    if (o.prompt) {
      prompt = *o.prompt;
    } else {  // prompt from a pipe
      prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    }
    std::vector<TokenId> ids = tok.encode(prompt, !o.no_bos, o.special);
    if (ids.empty()) return fail(error("the prompt is empty and the model adds no BOS token"));
    if (Status s = generate(**ctx, ids, o, *chain, st); !s.is_ok()) return fail(s);
    print_stats(st, (*ctx)->n_threads());
    return 0;
  }

  std::fprintf(stderr, "uma run: interactive session with %s (plain continuation; Ctrl-D to quit)\n",
               o.model.c_str());
  bool first = true;
  std::string line;
  while (true) {
    std::fprintf(stderr, "\n> ");
    if (!std::getline(std::cin, line)) break;
    std::vector<TokenId> ids = tok.encode(first ? line : "\n" + line, first && !o.no_bos, o.special);
    first = false;
    if (ids.empty()) continue;
    if ((*ctx)->n_past() + (int64_t)ids.size() >= (*ctx)->n_ctx())
      return fail(error("context full; start a new session or raise -c"));
    if (Status s = generate(**ctx, ids, o, *chain, st); !s.is_ok()) return fail(s);
    std::printf("\n");
  }
  print_stats(st, (*ctx)->n_threads());
  return 0;
}

}  // namespace uma::cli
