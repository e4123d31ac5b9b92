# Warning and sanitizer flags as INTERFACE targets, linked privately by our own targets only.
# (-Wnull-dereference is left out: at -O2 GCC 12 reports false positives inside libstdc++ strings.)
add_library(mlsim_warnings INTERFACE)
target_compile_options(mlsim_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wdouble-promotion -Wformat=2
  -Wimplicit-fallthrough -Wcast-align -Wunused)
if(MLSIM_WERROR)
  target_compile_options(mlsim_warnings INTERFACE -Werror)
endif()

add_library(mlsim_sanitizers INTERFACE)
if(MLSIM_SANITIZE)
  target_compile_options(mlsim_sanitizers INTERFACE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(mlsim_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
