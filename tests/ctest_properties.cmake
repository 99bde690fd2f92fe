# Read by ctest after the discovered GoogleTest cases (tests/CMakeLists.txt): what ctest
# needs to know about particular tests. A name here that no longer exists is an error.

# One installation per ctest run, shared by the Install tests (tests/install/).
set_tests_properties(InstallPackage.InstallsAndTheExamplesBuildAgainstIt PROPERTIES
  FIXTURES_SETUP cairn_install)
set_tests_properties(Install.AnOutsideProjectBuildsAndRunsAgainstTheInstalledPackage
  Install.TheInstalledProgramRunsAWholeWorkflowWithAPluginBuiltOutsideTheTree
  Install.TheInstalledProgramFindsOnnxRuntimeInItsPrefix
  Install.ThePythonPackageImportsFromTheInstallation PROPERTIES
  FIXTURES_REQUIRED cairn_install)
# They share that prefix, and TheInstalledProgramFindsOnnxRuntimeInItsPrefix adds and removes
# share/cairn/onnxruntime/node_modules in it: run them one at a time (under `ctest -j` the
# workflow test's ONNX export once found the link and lost it mid-run).
set_tests_properties(Install.AnOutsideProjectBuildsAndRunsAgainstTheInstalledPackage
  Install.TheInstalledProgramRunsAWholeWorkflowWithAPluginBuiltOutsideTheTree
  Install.TheInstalledProgramFindsOnnxRuntimeInItsPrefix PROPERTIES
  RESOURCE_LOCK cairn_install_prefix)

# Seconds each long test takes (under the sanitizers, where they are longest), so that
# `ctest -j` starts them first instead of leaving one to run alone at the end. ctest
# replaces these with measured times once a build folder has run its tests.
set_tests_properties(CrashConsistency.SigkillNeverLeavesAnInconsistentRunFolder PROPERTIES
  COST 120)
set_tests_properties(InstallPackage.InstallsAndTheExamplesBuildAgainstIt PROPERTIES COST 90)
set_tests_properties(RunFolderCli.MainJobReplacesOnlyItsOwnEarlierRun PROPERTIES COST 70)
set_tests_properties(CliFlags.EveryCommandPrintsOneJsonObject PROPERTIES COST 40)
