from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "zghz.files"
    verbose_name = "文件"
