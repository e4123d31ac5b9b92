// run_ordered(): the threaded, order-preserving chunk runner of sweep.hpp (a template, so any chunk
// type can carry rows). std::thread, a mutex and two condition variables; no library needed.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace mlsim::analysis {

template <class Chunk>
void run_ordered(std::uint64_t begin, std::uint64_t end, unsigned threads, std::uint64_t chunk_size,
                 const std::function<void(unsigned, std::uint64_t, std::uint64_t, Chunk&)>& work,
                 const std::function<void(Chunk&)>& sink, const std::function<void(std::uint64_t)>& progress) {
  if (end <= begin) return;
  chunk_size = std::max<std::uint64_t>(1, chunk_size);
  const std::uint64_t chunks = (end - begin + chunk_size - 1) / chunk_size;
  threads = static_cast<unsigned>(std::clamp<std::uint64_t>(threads, 1, chunks));
  const auto bounds = [&](std::uint64_t c) {
    const std::uint64_t a = begin + c * chunk_size;
    return std::pair{a, std::min(end, a + chunk_size)};
  };
  if (threads == 1) {
    Chunk chunk;
    for (std::uint64_t c = 0; c < chunks; ++c) {
      chunk = Chunk{};
      const auto [a, b] = bounds(c);
      work(0, a, b, chunk);
      sink(chunk);
      if (progress) progress(b - begin);
    }
    return;
  }
  const std::uint64_t window = 4ULL * threads;
  std::mutex m;
  std::condition_variable ready, room;
  std::deque<std::optional<Chunk>> done;   // done[i] is chunk (written + i)
  std::uint64_t next = 0, written = 0;
  bool stop = false;
  std::exception_ptr failure;
  const auto worker = [&](unsigned id) {
    for (;;) {
      std::uint64_t c = 0;
      {
        std::unique_lock lock(m);
        room.wait(lock, [&] { return stop || next >= chunks || next < written + window; });
        if (stop || next >= chunks) return;
        c = next++;
      }
      Chunk chunk;
      try {
        const auto [a, b] = bounds(c);
        work(id, a, b, chunk);
      } catch (...) {
        std::lock_guard lock(m);
        if (!failure) failure = std::current_exception();
        stop = true;
        ready.notify_all();
        room.notify_all();
        return;
      }
      std::lock_guard lock(m);
      const std::uint64_t slot = c - written;
      if (done.size() <= slot) done.resize(slot + 1);
      done[slot] = std::move(chunk);
      ready.notify_all();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) pool.emplace_back(worker, i);
  std::exception_ptr sink_failure;
  for (std::uint64_t c = 0; c < chunks; ++c) {
    Chunk chunk;
    {
      std::unique_lock lock(m);
      ready.wait(lock, [&] { return stop || (!done.empty() && done.front().has_value()); });
      if (stop) break;
      chunk = std::move(*done.front());
      done.pop_front();
      ++written;
      room.notify_all();
    }
    try {
      sink(chunk);
      if (progress) progress(bounds(c).second - begin);
    } catch (...) {
      sink_failure = std::current_exception();
      std::lock_guard lock(m);
      stop = true;
      room.notify_all();
      break;
    }
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (sink_failure) std::rethrow_exception(sink_failure);
}

}  // namespace mlsim::analysis
