// The node's root secret file: created once (0600) and read back unchanged, refused when
// exposed (group/other bits) or of the wrong size; derived keys are stable and distinct.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "channeld/node_secret.h"
#include "unit/store/temp_dir.h"

using namespace fulgur;
using namespace fulgur::channeld;

TEST(NodeSecret, CreatedOnceWithMode0600AndReadBackTheSame) {
  test::TempDir dir;
  auto path = dir.path() / "node_secret";
  auto first = load_or_create_root_secret(path);
  ASSERT_TRUE(first.ok()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto second = load_or_create_root_secret(path);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(*first == *second);
  auto a = derive_node_secrets(*first);
  auto b = derive_node_secrets(*second);
  EXPECT_EQ(a.node_key.public_key(), b.node_key.public_key());
  EXPECT_TRUE(a.channel_seed == b.channel_seed);
  // The node key and the channel seed are different secrets.
  EXPECT_FALSE(std::equal(a.node_key.expose().begin(), a.node_key.expose().end(),
                          a.channel_seed.expose().begin()));
}

TEST(NodeSecret, AnExposedFileIsRefused) {
  test::TempDir dir;
  auto path = dir.path() / "node_secret";
  ASSERT_TRUE(load_or_create_root_secret(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto r = load_or_create_root_secret(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0600"), std::string::npos);
}

TEST(NodeSecret, AFileOfTheWrongSizeIsRefused) {
  test::TempDir dir;
  auto path = dir.path() / "node_secret";
  {
    std::ofstream out(path);
    out << "too short";
  }
  ::chmod(path.c_str(), 0600);
  EXPECT_FALSE(load_or_create_root_secret(path).ok());
}

TEST(NodeSecret, DifferentRootsGiveDifferentNodes) {
  test::TempDir a_dir, b_dir;
  auto a = load_or_create_root_secret(a_dir.path() / "s");
  auto b = load_or_create_root_secret(b_dir.path() / "s");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(derive_node_secrets(*a).node_key.public_key(),
            derive_node_secrets(*b).node_key.public_key());
}
