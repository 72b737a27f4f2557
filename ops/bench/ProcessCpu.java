import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** CPU time of the processes a benchmark drives, read from /proc (Linux). */
final class ProcessCpu {

    /** CPU ticks (1/100 s) of each named process and its live descendants (PostgreSQL's backends, the worker's sandboxes). */
    static Map<String, Long> ticks(Map<String, Long> pids) throws Exception {
        Map<Long, Long> parent = new HashMap<>();
        Map<Long, Long> ticks = new HashMap<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String stat = Files.readString(d.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    // after the name: state ppid ... utime(12) stime(13) cutime(14) cstime(15), counted from state = 0
                    parent.put(Long.parseLong(name), Long.parseLong(f[1]));
                    ticks.put(Long.parseLong(name), Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13])
                            + Long.parseLong(f[14]));
                } catch (java.io.IOException | RuntimeException gone) {
                    // the process ended while we looked
                }
            }
        }
        Map<String, Long> out = new LinkedHashMap<>();
        pids.forEach((label, root) -> {
            long sum = 0;
            for (Map.Entry<Long, Long> p : ticks.entrySet()) {
                for (Long q = p.getKey(); q != null && q > 1; q = parent.get(q)) {
                    if (q.equals(root)) {
                        sum += p.getValue();
                        break;
                    }
                }
            }
            out.put(label, sum);
        });
        return out;
    }

    /**
     * Busy ticks of the whole machine (every CPU; /proc/stat: user, nice, system, irq, softirq,
     * steal): what the named processes do not account for is other work, or kernel threads working
     * for them (e.g. tearing down a sandbox's network namespace).
     */
    static long machineTicks() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        return Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                + Long.parseLong(f[7]) + Long.parseLong(f[8]);
    }

    /** "api1=PID,api2=PID": the processes whose CPU the load report shows. */
    static Map<String, Long> parse(String spec) {
        Map<String, Long> pids = new LinkedHashMap<>();
        for (String pair : spec.split(",")) {
            String[] kv = pair.split("=");
            if (kv.length == 2) {
                pids.put(kv[0], Long.parseLong(kv[1].trim()));
            }
        }
        return pids;
    }
}
