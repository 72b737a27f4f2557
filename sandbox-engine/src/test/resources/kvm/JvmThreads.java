/** A JVM under the sandbox: its processor count and eight threads summing in parallel. */
public class JvmThreads {
    public static void main(String[] a) throws Exception {
        int n = 8;
        long[] sums = new long[n];
        Thread[] ts = new Thread[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            ts[i] = new Thread(() -> { long s = 0; for (int j = 0; j < 1_000_000; j++) s += j % (k + 1); sums[k] = s; });
            ts[i].start();
        }
        long total = 0;
        for (int i = 0; i < n; i++) { ts[i].join(); total += sums[i]; }
        System.out.println("processors " + Runtime.getRuntime().availableProcessors());
        System.out.println("total " + total);
        System.out.println("threads ok " + (Thread.activeCount() >= 1));
    }
}
