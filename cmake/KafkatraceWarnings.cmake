# kafkatrace_set_warnings(target): the project's warning flags, PRIVATE so users never inherit them.
function(kafkatrace_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                         -Wno-missing-field-initializers)  # designated initializers are the API style
  if(KAFKATRACE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
