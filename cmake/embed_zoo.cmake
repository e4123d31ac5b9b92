# Embeds the zoo (hardware_zoo/, models/, scenarios/) in the binary, so mlsim runs from any
# directory. The generated source holds each file's path and text; it is rebuilt when any changes.
set(MLSIM_ZOO_DIRS hardware_zoo models scenarios)

function(mlsim_embed_zoo out_cpp)
  set(files)
  foreach(dir IN LISTS MLSIM_ZOO_DIRS)
    file(GLOB_RECURSE found CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/${dir}/*.yaml")
    list(APPEND files ${found})
  endforeach()
  list(SORT files)
  add_custom_command(
    OUTPUT "${out_cpp}"
    COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -DOUT=${out_cpp} "-DFILES=${files}"
            -P "${PROJECT_SOURCE_DIR}/cmake/embed_zoo_script.cmake"
    DEPENDS ${files} "${PROJECT_SOURCE_DIR}/cmake/embed_zoo_script.cmake"
    COMMENT "Embedding the zoo (${CMAKE_CURRENT_LIST_LENGTH} files)"
    VERBATIM)
endfunction()
