# Every dependency comes from a Debian 12 package. A missing one stops the configure step
# with the name of the package to install (contrib/fulgur.sh setup installs them all).

function(fulgur_missing what apt_package)
  message(FATAL_ERROR "Fulgur needs ${what}: install it with `sudo apt-get install ${apt_package}` "
                      "(or run `contrib/fulgur.sh setup`, which installs every missing package).")
endfunction()

macro(fulgur_find_config name apt_package)
  find_package(${name} CONFIG QUIET)
  if(NOT ${name}_FOUND)
    fulgur_missing(${name} ${apt_package})
  endif()
endmacro()

find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  fulgur_missing(pkg-config pkg-config)
endif()

# pkg-config modules become IMPORTED targets named PkgConfig::<name>.
macro(fulgur_find_pkg name module apt_package)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET ${module})
  if(NOT ${name}_FOUND)
    fulgur_missing(${module} ${apt_package})
  endif()
endmacro()

fulgur_find_pkg(sodium libsodium libsodium-dev)
fulgur_find_pkg(secp256k1 libsecp256k1 libsecp256k1-dev)
fulgur_find_pkg(nettle nettle nettle-dev)
fulgur_find_pkg(uv libuv libuv1-dev)
fulgur_find_pkg(lmdb lmdb liblmdb-dev)
fulgur_find_pkg(httplib cpp-httplib libcpp-httplib-dev)

# libsecp256k1 must carry the modules Lightning needs.
foreach(header secp256k1_ecdh.h secp256k1_recovery.h secp256k1_schnorrsig.h secp256k1_extrakeys.h)
  find_file(FULGUR_HAVE_${header} ${header} HINTS ${secp256k1_INCLUDE_DIRS} NO_CACHE)
  if(NOT FULGUR_HAVE_${header})
    fulgur_missing("libsecp256k1 with ${header}" libsecp256k1-dev)
  endif()
endforeach()

fulgur_find_config(fmt libfmt-dev)
fulgur_find_config(spdlog libspdlog-dev)
fulgur_find_config(nlohmann_json nlohmann-json3-dev)
fulgur_find_config(CLI11 libcli11-dev)
fulgur_find_config(CapnProto "capnproto libcapnp-dev")
fulgur_find_config(lemon liblemon-dev)
fulgur_find_config(GTest "libgtest-dev libgmock-dev")
fulgur_find_config(rapidcheck librapidcheck-dev)
if(FULGUR_BENCH)
  fulgur_find_config(benchmark libbenchmark-dev)
endif()
find_package(Threads REQUIRED)
