package io.astaire.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The command line the demo starts its nodes with. */
class DemoCommandLineTest {

    @Test
    void nodesStartFromTheLaunchersAotCacheWhenTheDemoHasOne() {
        List<String> cmd = DemoRun.astaireCommand(DemoRun.class,
                List.of("-XX:AOTCache=/work/cli/target/astaire-1.aot", "-Xlog:aot*=off", "--enable-native-access=ALL-UNNAMED"));
        assertThat(cmd).contains("--enable-native-access=ALL-UNNAMED", "-XX:AOTCache=/work/cli/target/astaire-1.aot", "-Xlog:aot*=off");
        int launch = Math.max(cmd.indexOf("-jar"), cmd.indexOf("-cp")); // a JVM option must come before either
        assertThat(cmd.indexOf("-XX:AOTCache=/work/cli/target/astaire-1.aot")).isBetween(0, launch);
    }

    @Test
    void withoutACacheNoneIsPassedOn() {
        List<String> cmd = DemoRun.astaireCommand(DemoRun.class, List.of("-Xmx1g"));
        assertThat(cmd).noneMatch(a -> a.startsWith("-XX:AOTCache")).doesNotContain("-Xmx1g");
    }
}
