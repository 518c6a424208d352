"""The throwaway Django project that runs django-pyas2 as an independent AS2 peer."""
