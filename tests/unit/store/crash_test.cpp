// Crash safety: a child process killed with SIGKILL in the middle of a write transaction
// leaves the last committed state intact, and the next writer can take the write lock.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/table.h"
#include "temp_dir.h"

namespace fulgur::store {
namespace {

using Numbers = Table<U64Codec, StringCodec>;

// In the child: open the store, write a lot without committing, tell the parent, wait.
[[noreturn]] void child_writes_forever(const std::filesystem::path& dir, int ready_fd) {
  auto env = Environment::open(dir);
  if (!env) _exit(10);
  auto table = Numbers::open(**env, "n");
  if (!table) _exit(11);
  auto txn = (*env)->begin_write();
  if (!txn) _exit(12);
  for (uint64_t i = 0; i < 2000; ++i) {
    if (!table->put(*txn, i, "overwritten-" + std::to_string(i))) _exit(13);
  }
  if (!table->erase(*txn, 5000)) _exit(14);
  char byte = 'r';
  if (::write(ready_fd, &byte, 1) != 1) _exit(15);
  for (;;) ::pause();  // killed here, transaction open
}

TEST(StoreCrash, KilledWriterLeavesPreviousStateIntact) {
  test::TempDir dir;
  {
    auto env = Environment::open(dir.path()).value();
    auto table = Numbers::open(*env, "n").value();
    ASSERT_TRUE(env->write([&](WriteTxn& txn) -> StoreResult<void> {
      for (uint64_t i = 0; i < 100; ++i) FULGUR_TRY_STATUS(table.put(txn, i, "committed"));
      return table.put(txn, 5000, "keep me");
    }));
  }  // closed before fork: the child opens its own environment, as LMDB requires

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    child_writes_forever(dir.path(), fds[1]);
  }
  ::close(fds[1]);
  char byte = 0;
  ASSERT_EQ(::read(fds[0], &byte, 1), 1) << "child failed before writing";
  ::close(fds[0]);
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto env = Environment::open(dir.path()).value();
  auto table = Numbers::open(*env, "n").value();
  {
    auto txn = env->begin_read().value();
    EXPECT_EQ(table.get(txn, 7).value(), std::optional<std::string>("committed"));
    EXPECT_EQ(table.get(txn, 5000).value(), std::optional<std::string>("keep me"));
    EXPECT_EQ(table.get(txn, 1500).value(), std::nullopt);
  }
  // The dead child held the write lock; LMDB's robust mutex hands it to us.
  auto wrote = env->write([&](WriteTxn& txn) { return table.put(txn, 7, "after crash"); });
  ASSERT_TRUE(wrote) << wrote.error().message;
  auto txn = env->begin_read().value();
  EXPECT_EQ(table.get(txn, 7).value(), std::optional<std::string>("after crash"));
}

}  // namespace
}  // namespace fulgur::store
