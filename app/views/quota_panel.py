"""Quota at a glance: one bar per store and a per-user chart.

Bars turn amber at 80 % and red at 95 % of the quota, the thresholds content managers asked for.
The numbers come from :class:`app.services.usage.UsageService`, which never relists a bucket to
refresh them.
"""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from app.messages import format_size
from app.services.usage import SideUsage, UsageService

AMBER_AT = 0.80
RED_AT = 0.95
GREEN, AMBER, RED = "#2e9d57", "#d99a00", "#d03b32"
SIDE_TITLES = {
    "s3": QT_TRANSLATE_NOOP("QuotaPanel", "S3"),
    "local": QT_TRANSLATE_NOOP("QuotaPanel", "Local"),
}
#: The per-user chart's smallest height (it takes the column's spare height beyond that).
CHART_MIN_HEIGHT = 165
SIDE_COLORS = {"s3": QColor("#3b7dd8"), "local": QColor("#8a8f98")}


def level_color(fraction: float) -> str:
    """Green below 80 %, amber from 80 %, red from 95 %."""
    if fraction >= RED_AT:
        return RED
    if fraction >= AMBER_AT:
        return AMBER
    return GREEN


class QuotaBar(QWidget):
    """A labelled progress bar for one store's usage against its quota."""

    def __init__(self, title: str, bar_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.label = QLabel(title)
        self.bar = QProgressBar()
        self.bar.setObjectName(bar_name)
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        self._title = title
        self.set_usage(SideUsage())

    def set_usage(self, usage: SideUsage) -> None:
        if not usage.counted:
            self.bar.setValue(0)
            self.bar.setFormat(self.tr("counting…"))
            self.label.setText(self._title)
            return
        if usage.limit:
            fraction = usage.total / usage.limit
            self.bar.setValue(min(1000, int(fraction * 1000)))
            self.bar.setFormat(f"{fraction:.0%}")
            self.label.setText(
                self.tr("{title}: {used} of {limit}").format(
                    title=self._title, used=format_size(usage.total), limit=format_size(usage.limit)
                )
            )
            color = level_color(fraction)
        else:
            self.bar.setValue(0)
            self.bar.setFormat(self.tr("no quota"))
            self.label.setText(
                self.tr("{title}: {used} (no quota)").format(
                    title=self._title, used=format_size(usage.total)
                )
            )
            color = GREEN
        self.bar.setProperty("level", color)
        self.bar.setStyleSheet(f"QProgressBar::chunk {{ background-color: {color}; }}")


class QuotaPanel(QWidget):
    """Both stores' bars and a per-user bar chart; refreshes when usage changes."""

    def __init__(self, usage: UsageService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._usage = usage
        layout = QVBoxLayout(self)
        self.s3_bar = QuotaBar(self.tr("S3 bucket"), "quotaBar")
        self.local_bar = QuotaBar(self.tr("Local store"), "localQuotaBar")
        layout.addWidget(self.s3_bar)
        layout.addWidget(self.local_bar)
        self.chart = QChart()
        self.chart.setTitle(self.tr("Usage per user"))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.chart.setMargins(QMargins(2, 2, 2, 2))
        if self.palette().window().color().lightness() < 128:
            self.chart.setTheme(QChart.ChartTheme.ChartThemeDark)
        self.chart.layout().setContentsMargins(0, 0, 0, 0)
        self.chart_view = QChartView(self.chart)
        self.chart_view.setObjectName("userUsageChart")
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(CHART_MIN_HEIGHT)
        layout.addWidget(self.chart_view, 1)
        layout.addStretch(0)  # keeps the bars together at the top when the chart is left out
        usage.usageChanged.connect(self.refresh)
        self.refresh()

    def minimum_height(self, *, with_chart: bool) -> int:
        """The height the bars need, and the chart at its smallest if ``with_chart``."""
        layout = self.layout()
        margins = layout.contentsMargins()
        bars = [bar for bar in (self.s3_bar, self.local_bar) if not bar.isHidden()]
        height = margins.top() + margins.bottom()
        height += sum(bar.sizeHint().height() for bar in bars)
        height += layout.spacing() * max(0, len(bars) - 1)
        if with_chart:
            height += layout.spacing() + CHART_MIN_HEIGHT
        return height

    def show_chart(self, shown: bool) -> None:
        """The per-user chart, when the column has room for it (the window decides)."""
        self.chart_view.setVisible(shown)

    def refresh(self, _side: str = "") -> None:
        sides = self._usage.sides
        if "s3" in sides:
            self.s3_bar.set_usage(sides["s3"])
        self.s3_bar.setVisible("s3" in sides)
        if "local" in sides:
            self.local_bar.set_usage(sides["local"])
        self._rebuild_chart()

    def _rebuild_chart(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)
        users = self._usage.users()
        if not users:
            return
        series = QHorizontalBarSeries()
        top = 0.0
        biggest = max(
            (size for usage in self._usage.sides.values() for size in usage.per_user.values()),
            default=0,
        )
        unit, scale = (
            (self.tr("GiB"), 1024**3)
            if biggest >= 1024**3
            else ((self.tr("MiB"), 1024**2) if biggest >= 1024**2 else (self.tr("KiB"), 1024))
        )
        for side, usage in self._usage.sides.items():
            title = SIDE_TITLES.get(side)
            bar_set = QBarSet(QCoreApplication.translate("QuotaPanel", title) if title else side)
            bar_set.setColor(SIDE_COLORS.get(side, QColor("#999")))
            values = [usage.per_user.get(user, 0) / scale for user in users]
            bar_set.append(values)
            top = max(top, *values)
            series.append(bar_set)
        self.chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append(users)
        values_axis = QValueAxis()
        values_axis.setRange(0, max(top * 1.1, 1))
        values_axis.setTitleText(unit)
        values_axis.setLabelFormat("%.0f" if top >= 10 else "%.1f")
        values_axis.applyNiceNumbers()
        self.chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        self.chart.addAxis(values_axis, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(categories)
        series.attachAxis(values_axis)
