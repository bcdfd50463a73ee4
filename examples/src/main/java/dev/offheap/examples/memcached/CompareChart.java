package dev.offheap.examples.memcached;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.util.List;

/**
 * The comparison report's chart: this server's throughput and resident bytes per item as
 * multiples of memcached's (memcached = 1), with the targets in the title.
 *
 * <p>Usage: {@code CompareChart OUT.png MC_OPS OH_OPS MC_BYTES_PER_ITEM OH_BYTES_PER_ITEM
 * MC_BYTES_PER_ITEM_SETTLED OH_BYTES_PER_ITEM_SETTLED} (bytes per item right after loading, and
 * again after both servers sat idle past the library's decay delay).
 */
public final class CompareChart {
    private CompareChart() {
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        double mcOps = Double.parseDouble(args[1]);
        double ohOps = Double.parseDouble(args[2]);
        double mcBytes = Double.parseDouble(args[3]);
        double ohBytes = Double.parseDouble(args[4]);
        double mcBytesSettled = Double.parseDouble(args[5]);
        double ohBytesSettled = Double.parseDouble(args[6]);
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500)
                .title("this server / memcached (targets: throughput >= 0.8, bytes per item <= 1)")
                .yAxisTitle("multiple of memcached's figure").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        chart.getStyler().setLabelsVisible(true);
        List<String> measures = List.of("throughput (ops/s)", "resident bytes per item, right after loading",
                "resident bytes per item, 12 s later");
        chart.addSeries("memcached", measures, List.of(1.0, 1.0, 1.0));
        chart.addSeries("this server", measures, List.of(round(ohOps / mcOps), round(ohBytes / mcBytes),
                round(ohBytesSettled / mcBytesSettled)));
        BitmapEncoder.saveBitmap(chart, args[0], BitmapEncoder.BitmapFormat.PNG);
    }

    private static double round(double ratio) {
        return Math.round(ratio * 100) / 100.0;
    }
}
