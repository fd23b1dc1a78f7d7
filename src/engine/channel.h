// EventChannel: the consumer side of a request's event stream. sink() is the Request::on_event
// callback (never blocks); pop() waits with a timeout so HTTP handlers can poll their connection
// and send keep-alives. The shared state outlives either side.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "engine/request.h"

namespace uma::engine {

class EventChannel {
 public:
  EventChannel() : state_(std::make_shared<State>()) {}

  std::function<void(Event&&)> sink() const {
    return [s = state_](Event&& ev) {
      {
        std::lock_guard<std::mutex> lock(s->mu);
        s->events.push_back(std::move(ev));
      }
      s->cv.notify_one();
    };
  }

  // The next event, or nullopt when none arrived within `timeout`.
  std::optional<Event> pop(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(state_->mu);
    if (!state_->cv.wait_for(lock, timeout, [&] { return !state_->events.empty(); }))
      return std::nullopt;
    Event ev = std::move(state_->events.front());
    state_->events.pop_front();
    return ev;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Event> events;
  };
  std::shared_ptr<State> state_;
};

}  // namespace uma::engine
