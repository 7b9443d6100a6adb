from django.apps import AppConfig


class GoliveConfig(AppConfig):
    name = "zghz.golive"
    verbose_name = "上线数据导入"
